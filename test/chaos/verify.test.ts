/**
 * The chaos verifier (chaos/verify.ts) must not be vacuous: a clean synthetic run passes every
 * check, an explained duplicate effect passes and is counted apart, and each kind of damage
 * the chaos run looks for (an unexplained double effect, a step out of order, a broken chain,
 * a second end, a lost notification, a leftover job, a stale memo) is reported.
 */
import { describe, expect, it } from 'vitest';
import type { EffectRecord, TerminalRecord } from '../../chaos/protocol.ts';
import { verify, type VerifyInput } from '../../chaos/verify.ts';

const STEPS = 3;
const NONCE = 'n0';

/** One run of 3 steps, each delivered once, as the chaos run would leave it. */
function clean(): VerifyInput & { dump: Record<string, unknown[]> } {
  const effects: EffectRecord[] = [0, 1, 2].map((s) => ({
    runId: 'r1',
    step: s,
    attempt: 1,
    key: 'effect',
    jobId: `j${s}`,
    nonce: NONCE,
    chain: [0, 1, 2].slice(0, s),
    instance: 'w1',
    seq: s + 1,
    at: 1000 + s,
  }));
  const terminals: TerminalRecord[] = [
    { runId: 'r1', status: 'succeeded', finalStep: 2, result: { nonce: NONCE, chain: [0, 1, 2] }, terminalAt: 500, instance: 'w1', seq: 10, at: 1100 },
  ];
  return {
    expected: [{ runId: 'r1', nonce: NONCE, steps: STEPS }],
    effects,
    terminals,
    stepViolations: [],
    newSubmissions: new Map([['r1', 1]]),
    dump: {
      runs: [{ runId: 'r1', state: 'succeeded', stepNumber: 2, result: { nonce: NONCE, chain: [0, 1, 2] }, terminalAt: 500 }],
      terminals: [{ runId: 'r1', terminalAt: 500 }],
      memos: [0, 1, 2].map((s) => ({ runId: 'r1', step: s, key: 'k:effect', value: { seq: s + 1, attempt: 1 } })),
      history: [0, 1, 2].map((s) => ({ runId: 'r1', n: s, stepNumber: s, jobId: `j${s}`, attempt: 1, outcome: s === 2 ? 'succeeded' : 'continued', memoHits: 0, endedAt: 1 })),
      jobs: [],
      attempts: [],
      events: [],
    },
  };
}

/** Step 1 ran twice: attempt 1 (effect #2) ended `outcome`, attempt 2 (effect #4) settled reading nothing. */
function repeatedStep1(outcome: string, error?: string, secondInstance = 'w2'): VerifyInput {
  const input = clean();
  const e1 = input.effects[1]!;
  const effects = [...input.effects, { ...e1, attempt: 2, seq: 4, instance: secondInstance }].sort((a, b) => a.seq - b.seq);
  // Step 2's effect must come after step 1's: renumber it last.
  effects.find((e) => e.step === 2)!.seq = 5;
  const history = [
    { runId: 'r1', n: 0, stepNumber: 0, jobId: 'j0', attempt: 1, outcome: 'continued', memoHits: 0, endedAt: 1 },
    { runId: 'r1', n: 1, stepNumber: 1, jobId: 'j1', attempt: 1, outcome, memoHits: 0, endedAt: 1, ...(error ? { error } : {}) },
    { runId: 'r1', n: 2, stepNumber: 1, jobId: 'j1', attempt: 2, outcome: 'continued', memoHits: 0, endedAt: 1 },
    { runId: 'r1', n: 3, stepNumber: 2, jobId: 'j2', attempt: 1, outcome: 'succeeded', memoHits: 0, endedAt: 1 },
  ];
  const memos = [
    { runId: 'r1', step: 0, key: 'k:effect', value: { seq: 1, attempt: 1 } },
    { runId: 'r1', step: 1, key: 'k:effect', value: { seq: 4, attempt: 2 } },
    { runId: 'r1', step: 2, key: 'k:effect', value: { seq: 5, attempt: 1 } },
  ];
  return { ...input, effects, dump: { ...input.dump, history, memos } };
}

function failedChecks(input: VerifyInput): string[] {
  return verify(input).rows.filter((r) => !r.ok).map((r) => r.check);
}

describe('chaos verifier', () => {
  it('passes a clean run', () => {
    const v = verify(clean());
    expect(v.violations).toEqual([]);
    expect(v.rows.every((r) => r.ok)).toBe(true);
    expect(v.figures['effects executed']).toBe(3);
  });

  it('accepts a duplicate effect whose earlier delivery was interrupted, and counts it apart', () => {
    const v = verify(repeatedStep1('interrupted'));
    expect(v.violations).toEqual([]);
    expect(v.figures['extra effects: delivery interrupted (worker died / lease lost) between effect and memo']).toBe(1);
    const retried = verify(repeatedStep1('retried', 'ledger unreachable: Failed to fetch'));
    expect(retried.violations).toEqual([]);
    expect(retried.figures['extra effects: answer lost (ledger went offline mid-request)']).toBe(1);
  });

  it('reports a duplicate effect nothing explains', () => {
    expect(failedChecks(repeatedStep1('retried', 'some other error'))).toEqual(['side effect once per memo key']);
    // "Interrupted" (its worker dead) yet the same worker instance ran the next attempt.
    expect(failedChecks(repeatedStep1('interrupted', undefined, 'w1'))).toEqual(['side effect once per memo key']);
  });

  it('reports a step that ran before the previous one finished', () => {
    const input = clean();
    input.effects[0]!.seq = 7; // step 0's effect landed after step 1's and step 2's
    expect(failedChecks(input)).toContain('no step skipped or out of order (ledger)');
  });

  it('reports a skipped step', () => {
    const input = clean();
    input.dump.history = (input.dump.history as { stepNumber: number }[]).filter((h) => h.stepNumber !== 1);
    const failed = failedChecks({ ...input, effects: input.effects.filter((e) => e.step !== 1) });
    expect(failed).toContain('no step skipped or out of order (history)');
    expect(failed).toContain('no step skipped or out of order (ledger)');
  });

  it('reports a broken payload chain', () => {
    const input = clean();
    input.effects[2]!.chain = [0];
    expect(failedChecks(input)).toEqual(['payload chain intact at every step']);
  });

  it('reports a second end, a missing notification, a leftover job and a stale memo', () => {
    const twice = clean();
    (twice.dump.history as unknown[]).push({ runId: 'r1', n: 3, stepNumber: 2, jobId: 'j2', attempt: 2, outcome: 'succeeded', memoHits: 1, endedAt: 2 });
    expect(failedChecks(twice)).toContain('terminal exactly once (history)');

    expect(failedChecks({ ...clean(), terminals: [] })).toEqual(['terminal notification delivered (≥1 each)']);

    const leftover = clean();
    leftover.dump.jobs = [{ id: 'j9', state: 'claimed', headers: {}, attempts: 1, owner: 'w1', lastError: null }];
    expect(failedChecks(leftover)).toEqual(['queue empty: no job pending, claimed, scheduled or dead']);

    const stale = clean();
    (stale.dump.memos as { value: unknown }[])[1]!.value = { seq: 99, attempt: 1 };
    expect(failedChecks(stale)).toEqual(['memo written once per step, for its last effect, read on redelivery']);
  });
});
