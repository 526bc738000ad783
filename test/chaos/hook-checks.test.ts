/**
 * The hook checks of every chaos phase (chaos/slow-hook-phase.ts) must not be vacuous: calls of
 * the terminal hook for one run that ran one after the other pass, a call cut off by a dying
 * worker followed by its redelivery passes, and two calls for one run that ran at once are
 * reported, as is a slow-hook phase whose hooks never outlasted the lease.
 */
import { describe, expect, it } from 'vitest';
import type { HookRecord } from '../../chaos/protocol.ts';
import { checkHooks, hookSpans } from '../../chaos/slow-hook-phase.ts';

let seq = 0;
/** The records of one hook call: start at `from`, beats every 150 ms, then `end` at `to` (null: cut off, its last record a beat). */
function call(runId: string, id: string, from: number, to: number, end: 'end' | 'abort' | null = 'end'): HookRecord[] {
  const out: HookRecord[] = [{ runId, call: id, event: 'start', t: from, instance: id.split(':')[0]!, seq: ++seq, at: from }];
  for (let t = from + 150; t < to; t += 150) out.push({ runId, call: id, event: 'beat', t, instance: id.split(':')[0]!, seq: ++seq, at: t });
  out.push({ runId, call: id, event: end ?? 'beat', t: to, instance: id.split(':')[0]!, seq: ++seq, at: to });
  return out;
}

const failed = (v: ReturnType<typeof checkHooks>) => v.rows.filter((r) => !r.ok).map((r) => r.check);

describe('chaos hook checks', () => {
  it('passes hook calls of one run that ran one after the other, a cut-off call included', () => {
    const records = [...call('r1', 'w1:1', 1000, 2600, null), ...call('r1', 'w2:1', 2700, 4500), ...call('r2', 'w2:2', 1500, 3000)];
    const v = checkHooks(records, { runIds: ['r1', 'r2'], slowerThanMs: 1000 });
    expect(v.violations).toEqual([]);
    expect(v.figures['hook calls']).toBe(3);
    expect(v.figures['hook calls cut off (worker died)']).toBe(1);
    expect(v.figures['hook calls that outlasted the lease and ended']).toBe(2);
  });

  it('reports two calls of the hook for one run that ran at once', () => {
    // The second delivery started while the first still ran (its lease was taken for lost).
    const records = [...call('r1', 'w1:1', 1000, 3000), ...call('r1', 'w1:2', 2300, 4200)];
    const v = checkHooks(records, { runIds: ['r1'] });
    expect(failed(v)).toEqual(['a hook never runs twice at once (per run)']);
    expect(v.violations[0]).toMatch(/r1: call w1:1 .* and call w1:2 .* ran at once for 700 ms/);
  });

  it('reports an overlap seen only through the beats of a call whose worker then died', () => {
    const records = [...call('r1', 'w1:1', 1000, 2500, null), ...call('r1', 'w2:1', 2000, 3500)];
    expect(failed(checkHooks(records, { runIds: ['r1'] }))).toEqual(['a hook never runs twice at once (per run)']);
  });

  it('does not mix the calls of two runs', () => {
    const records = [...call('r1', 'w1:1', 1000, 3000), ...call('r2', 'w1:2', 1500, 3500)];
    expect(checkHooks(records, { runIds: ['r1', 'r2'] }).violations).toEqual([]);
  });

  it('reports a slow-hook phase whose hooks never outlasted the lease', () => {
    const records = [...call('r1', 'w1:1', 1000, 1800), ...call('r2', 'w1:2', 2000, 2500, 'abort')];
    expect(failed(checkHooks(records, { runIds: ['r1', 'r2'], slowerThanMs: 1000 }))).toEqual(['hooks slower than the lease (1000 ms) ran to their end']);
  });

  it('bounds a call by its first and last record, whatever their arrival order', () => {
    const records = call('r1', 'w1:1', 1000, 1600).reverse();
    expect(hookSpans(records)).toEqual([{ runId: 'r1', call: 'w1:1', instance: 'w1', from: 1000, to: 1600, ended: 'end' }]);
  });
});
