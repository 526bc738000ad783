import { describe, expect, it } from 'vitest';
import { Emitter } from '../../src/core/emitter.ts';

describe('Emitter', () => {
  it('calls every listener synchronously with the event, in registration order', () => {
    const e = new Emitter<number>();
    const seen: string[] = [];
    e.on((n) => seen.push(`a${n}`));
    e.on((n) => seen.push(`b${n}`));
    e.emit(1);
    expect(seen).toEqual(['a1', 'b1']);
    expect(e.size).toBe(2);
  });

  it('stops calling a listener once removed; removing twice is harmless', () => {
    const e = new Emitter<number>();
    const seen: number[] = [];
    const off = e.on((n) => seen.push(n));
    e.emit(1);
    off();
    off();
    e.emit(2);
    expect(seen).toEqual([1]);
    expect(e.size).toBe(0);
  });

  it('lets a listener remove itself during an emit without skipping the others', () => {
    const e = new Emitter<number>();
    const seen: string[] = [];
    const off = e.on(() => {
      seen.push('a');
      off();
    });
    e.on(() => seen.push('b'));
    e.emit(0);
    e.emit(0);
    expect(seen).toEqual(['a', 'b', 'b']);
  });
});
