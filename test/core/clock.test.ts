import { describe, expect, it } from 'vitest';
import { MockClock, SystemClock, systemClock } from '../../src/core/clock.ts';

describe('MockClock', () => {
  it('starts at the given time and moves only when told to', async () => {
    const clock = new MockClock(1000);
    expect(clock.now()).toBe(1000);
    await new Promise((r) => setTimeout(r, 5));
    expect(clock.now()).toBe(1000);
    clock.advance(250);
    expect(clock.now()).toBe(1250);
    clock.set(5000);
    expect(clock.now()).toBe(5000);
  });

  it('starts at 1 700 000 000 000 by default', () => {
    expect(new MockClock().now()).toBe(1_700_000_000_000);
  });

  it('rejects a non-finite start, a negative or non-finite advance and a non-finite set', () => {
    expect(() => new MockClock(NaN)).toThrow(TypeError);
    const clock = new MockClock(0);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Infinity)).toThrow(RangeError);
    expect(() => clock.set(NaN)).toThrow(RangeError);
    expect(clock.now()).toBe(0);
  });

  it('wakes a sleeper only once its due time is reached', async () => {
    const clock = new MockClock(0);
    let woke = false;
    const p = clock.sleep(100).then(() => (woke = true));
    expect(clock.pendingTimers).toBe(1);
    clock.advance(99);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advance(1);
    await p;
    expect(woke).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('wakes due sleepers in due order, ties in the order they slept', async () => {
    const clock = new MockClock(0);
    const order: string[] = [];
    const all = [
      clock.sleep(30).then(() => order.push('30')),
      clock.sleep(10).then(() => order.push('10a')),
      clock.sleep(20).then(() => order.push('20')),
      clock.sleep(10).then(() => order.push('10b')),
      clock.sleep(40).then(() => order.push('40')),
    ];
    clock.advance(35);
    await Promise.all(all.slice(0, 4));
    expect(order).toEqual(['10a', '10b', '20', '30']);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(5);
    await all[4];
    expect(order.at(-1)).toBe('40');
  });

  it('resolves a sleep of zero or less at once without registering a timer', async () => {
    const clock = new MockClock(0);
    await clock.sleep(0);
    await clock.sleep(-5);
    expect(clock.pendingTimers).toBe(0);
  });

  it('wakes nobody when set backwards', async () => {
    const clock = new MockClock(1000);
    let woke = false;
    void clock.sleep(10).then(() => (woke = true));
    clock.set(0);
    await Promise.resolve();
    expect(woke).toBe(false);
    expect(clock.pendingTimers).toBe(1);
    clock.set(1010);
    await Promise.resolve();
    expect(woke).toBe(true);
  });

  it('rejects a sleep with the abort reason and forgets its timer', async () => {
    const clock = new MockClock(0);
    const ac = new AbortController();
    const p = clock.sleep(100, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects at once for an already aborted signal, with an AbortError when no reason is given', async () => {
    const clock = new MockClock(0);
    const ac = new AbortController();
    ac.abort();
    await expect(clock.sleep(100, ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('SystemClock', () => {
  it('reads wall-clock time', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('sleeps on a real timer for at least the given time', async () => {
    const clock = new SystemClock();
    const start = performance.now();
    await clock.sleep(20);
    expect(performance.now() - start).toBeGreaterThanOrEqual(15);
  });

  it('rejects a sleep when its signal aborts', async () => {
    const ac = new AbortController();
    const p = systemClock.sleep(10_000, ac.signal);
    setTimeout(() => ac.abort(new Error('cancelled')), 5);
    await expect(p).rejects.toThrow('cancelled');
  });
});
