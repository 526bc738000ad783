/**
 * The chaos verdict, from three independent sources once everything has settled:
 * - the ledger (what really happened outside the browser: effects, terminal notifications);
 * - a dump of every object store of the database, read from a page (runs, terminal markers,
 *   memos, run history, jobs, job attempts, events);
 * - the driver's own book (what it submitted, and what each submission answered).
 *
 * Every check yields one table row (ok or not, a count, a detail) and, when it fails, one
 * violation line per offending run or key, with the evidence. A duplicate side effect is not a
 * violation when the history shows why it happened: the delivery that performed the earlier
 * effect was interrupted (its worker died, or its lease expired) before its memo write, or its
 * request failed after the ledger had recorded it (the ledger went offline mid-answer). Those
 * are counted separately.
 */
import type { HistoryRecord, MarkerRecord, MemoRecord, RunRecord } from '../src/runtime/records.ts';
import type { JobAttemptRecord, JobRecord } from '../src/store/db.ts';
import { Checks, countBy, groupBy, type Verification } from './checks.ts';
import { MEMO_KEY, sameChain, type ChainResult, type EffectMemo, type EffectRecord, type TerminalRecord, type ViolationBody, type ChaosWorkflow } from './protocol.ts';

export interface ExpectedRun {
  runId: string;
  nonce: string;
  steps: number;
  /** @default WORKFLOW ('chain') */
  workflow?: ChaosWorkflow;
}

export interface VerifyInput {
  expected: readonly ExpectedRun[];
  effects: readonly EffectRecord[];
  terminals: readonly TerminalRecord[];
  stepViolations: readonly ViolationBody[];
  /** Object store name -> every record. */
  dump: Record<string, unknown[]>;
  /** Run id -> how many submissions answered `newlySubmitted: true`. */
  newSubmissions: ReadonlyMap<string, number>;
}

export type { CheckRow, Verification } from './checks.ts';

const TERMINAL_OUTCOMES = new Set(['succeeded', 'failed', 'cancelled']);
const INTERRUPTED = new Set(['interrupted', 'leaseExpired']);

export function verify(input: VerifyInput): Verification {
  const checks = new Checks();
  const figures = checks.figures;
  const expected = new Map(input.expected.map((r) => [r.runId, r]));
  const total = input.expected.length;

  const runs = new Map<string, RunRecord>();
  for (const r of (input.dump['runs'] ?? []) as RunRecord[]) runs.set(r.runId, r);
  const markers = (input.dump['terminals'] ?? []) as MarkerRecord[];
  const memos = (input.dump['memos'] ?? []) as MemoRecord[];
  const history = groupBy((input.dump['history'] ?? []) as HistoryRecord[], (h) => h.runId);
  for (const list of history.values()) list.sort((a, b) => a.n - b.n);
  const jobs = (input.dump['jobs'] ?? []) as JobRecord[];
  const jobAttempts = (input.dump['attempts'] ?? []) as JobAttemptRecord[];
  const events = input.dump['events'] ?? [];
  const effectsByRun = groupBy(input.effects, (e) => e.runId);
  const terminalsByRun = groupBy(input.terminals, (t) => t.runId);

  const check = checks.check.bind(checks);
  const historyOf = (runId: string) => history.get(runId) ?? [];
  const attemptOutcome = (runId: string, step: number, attempt: number) => historyOf(runId).filter((h) => h.stepNumber === step && h.attempt === attempt);

  // 1. Submitted once, and present.
  {
    const bad: string[] = [];
    for (const r of input.expected) {
      const n = input.newSubmissions.get(r.runId) ?? 0;
      if (!runs.has(r.runId)) bad.push(`${r.runId}: no run record`);
      else if (n > 1) bad.push(`${r.runId}: ${n} submissions answered newlySubmitted`);
    }
    const good = total - bad.length;
    for (const id of runs.keys()) if (!expected.has(id)) bad.push(`${id}: a run nobody submitted`);
    check('every run submitted once and stored', good, total, bad);
  }

  // 2. Terminal, succeeded, with the full chain.
  {
    const bad: string[] = [];
    for (const r of input.expected) {
      const run = runs.get(r.runId);
      if (!run) continue;
      const result = run.result as ChainResult | undefined;
      if (run.state !== 'succeeded') bad.push(`${r.runId}: state ${run.state}${run.error ? ` (${run.error})` : ''} at step ${run.stepNumber}`);
      else if (run.stepNumber !== r.steps - 1) bad.push(`${r.runId}: succeeded at step ${run.stepNumber}, expected ${r.steps - 1}`);
      else if (!result || result.nonce !== r.nonce || !sameChain(result.chain, r.steps)) bad.push(`${r.runId}: result ${JSON.stringify(result)}`);
    }
    check('every run succeeded with its whole chain', total - bad.length, total, bad);
  }

  // 3. One terminal marker per run, the one of its (single) end.
  {
    const bad: string[] = [];
    const byRun = groupBy(markers, (m) => m.runId);
    for (const r of input.expected) {
      const ms = byRun.get(r.runId) ?? [];
      const run = runs.get(r.runId);
      if (ms.length !== 1) bad.push(`${r.runId}: ${ms.length} terminal markers`);
      else if (run && ms[0]!.terminalAt !== run.terminalAt) bad.push(`${r.runId}: marker at ${ms[0]!.terminalAt}, run ended at ${run.terminalAt}`);
    }
    for (const m of markers) if (!expected.has(m.runId)) bad.push(`${m.runId}: marker of an unknown run`);
    check('one terminal marker per run', markers.length - bad.length, total, bad, `${markers.length} markers stored`);
  }

  // 4. One terminal transition per run in its history, and it is the last record.
  {
    const bad: string[] = [];
    for (const r of input.expected) {
      const h = historyOf(r.runId);
      const ends = h.filter((x) => TERMINAL_OUTCOMES.has(x.outcome) || x.outcome === 'deadLettered');
      if (ends.length !== 1) bad.push(`${r.runId}: ${ends.length} terminal history records (${ends.map((e) => `${e.stepNumber}/${e.attempt} ${e.outcome}`).join(', ')})`);
      else if (h.at(-1) !== ends[0]) bad.push(`${r.runId}: history goes on after its end: ${JSON.stringify(h.slice(h.indexOf(ends[0]!)).map((x) => [x.stepNumber, x.attempt, x.outcome]))}`);
    }
    check('terminal exactly once (history)', total - bad.length, total, bad);
  }

  // 5. Terminal notification delivered at least once, describing that end.
  {
    const bad: string[] = [];
    let deliveries = 0;
    let duplicates = 0;
    for (const r of input.expected) {
      const ts = terminalsByRun.get(r.runId) ?? [];
      deliveries += ts.length;
      duplicates += Math.max(0, ts.length - 1);
      const run = runs.get(r.runId);
      if (ts.length === 0) {
        bad.push(`${r.runId}: no terminal notification reached the ledger`);
        continue;
      }
      for (const t of ts) {
        const result = t.result as ChainResult | null;
        if (t.status !== 'succeeded' || t.finalStep !== r.steps - 1 || !result || result.nonce !== r.nonce || !sameChain(result.chain, r.steps)) {
          bad.push(`${r.runId}: notification #${t.seq} says ${t.status} at step ${t.finalStep} with ${JSON.stringify(t.result)}`);
        } else if (run && t.terminalAt !== run.terminalAt) {
          bad.push(`${r.runId}: notification #${t.seq} is of an end at ${t.terminalAt}, the run ended at ${run.terminalAt} (two ends?)`);
        }
      }
    }
    for (const t of input.terminals) if (!expected.has(t.runId)) bad.push(`${t.runId}: notification of an unknown run`);
    figures['terminal notifications delivered'] = deliveries;
    figures['terminal notifications redelivered (at-least-once)'] = duplicates;
    check('terminal notification delivered (≥1 each)', total - new Set(bad.map((b) => b.split(':')[0])).size, total, bad, `${deliveries} deliveries, ${duplicates} redeliveries`);
  }

  // 6. History: no step skipped or out of order; one record per delivery.
  {
    const bad: string[] = [];
    let deliveries = 0;
    let interrupted = 0;
    let leaseExpired = 0;
    let retried = 0;
    let maxAttempt = 0;
    for (const r of input.expected) {
      const h = historyOf(r.runId);
      deliveries += h.length;
      const problems: string[] = [];
      for (let i = 1; i < h.length; i++) if (h[i]!.stepNumber < h[i - 1]!.stepNumber) problems.push(`step ${h[i]!.stepNumber} after step ${h[i - 1]!.stepNumber}`);
      for (let s = 0; s < r.steps; s++) {
        const recs = h.filter((x) => x.stepNumber === s);
        const settled = recs.filter((x) => x.outcome === (s === r.steps - 1 ? 'succeeded' : 'continued'));
        if (settled.length !== 1) problems.push(`step ${s} settled ${settled.length} times`);
        const odd = recs.filter((x) => !INTERRUPTED.has(x.outcome) && x.outcome !== 'retried' && !settled.includes(x));
        if (odd.length) problems.push(`step ${s} has deliveries ${odd.map((x) => `${x.attempt}:${x.outcome}`).join(', ')}`);
        const attempts = recs.map((x) => x.attempt);
        if (attempts.some((a, i) => a !== i + 1)) problems.push(`step ${s} attempts ${JSON.stringify(attempts)} (expected 1..${attempts.length})`);
        if (settled[0] && recs.at(-1) !== settled[0]) problems.push(`step ${s} has deliveries after its settlement`);
        interrupted += recs.filter((x) => x.outcome === 'interrupted').length;
        leaseExpired += recs.filter((x) => x.outcome === 'leaseExpired').length;
        retried += recs.filter((x) => x.outcome === 'retried').length;
        maxAttempt = Math.max(maxAttempt, ...attempts);
      }
      for (const x of h) if (x.stepNumber >= r.steps) problems.push(`a delivery of step ${x.stepNumber}`);
      if (problems.length) bad.push(`${r.runId}: ${problems.join('; ')} — history ${JSON.stringify(h.map((x) => [x.stepNumber, x.attempt, x.outcome]))}`);
    }
    figures['step deliveries'] = deliveries;
    figures['deliveries interrupted (worker died)'] = interrupted;
    figures['deliveries lost to lease expiry'] = leaseExpired;
    figures['deliveries retried (step error)'] = retried;
    figures['most deliveries of one step'] = maxAttempt;
    check('no step skipped or out of order (history)', total - bad.length, total, bad, `${deliveries} deliveries: ${interrupted} interrupted, ${leaseExpired} lease-expired, ${retried} retried`);
  }

  // 7. Ledger: every step's effect happened, in step order.
  const lateInterrupted: string[] = [];
  {
    const bad: string[] = [];
    for (const r of input.expected) {
      const es = effectsByRun.get(r.runId) ?? [];
      const byStep = groupBy(es, (e) => e.step);
      const problems: string[] = [];
      for (let s = 0; s < r.steps; s++) if (!byStep.get(s)?.length) problems.push(`no effect for step ${s}`);
      for (const e of es) {
        if (e.step < 0 || e.step >= r.steps) problems.push(`effect #${e.seq} for step ${e.step}`);
        else if (attemptOutcome(r.runId, e.step, e.attempt).length === 0) problems.push(`effect #${e.seq} by step ${e.step} attempt ${e.attempt}, a delivery the history does not know`);
      }
      for (let s = 1; s < r.steps; s++) {
        const cur = byStep.get(s) ?? [];
        if (!cur.length) continue;
        const firstOfThis = Math.min(...cur.map((e) => e.seq));
        for (let p = 0; p < s; p++) {
          for (const e of byStep.get(p) ?? []) {
            if (e.seq < firstOfThis) continue;
            const outcomes = attemptOutcome(r.runId, p, e.attempt).map((x) => x.outcome);
            const line = `effect #${e.seq} of step ${p} (attempt ${e.attempt}, ${outcomes.join('/') || 'no history'}) landed after step ${s} began (#${firstOfThis})`;
            if (outcomes.length && outcomes.every((o) => INTERRUPTED.has(o))) lateInterrupted.push(`${r.runId}: ${line}`);
            else problems.push(line);
          }
        }
      }
      if (problems.length) bad.push(`${r.runId}: ${problems.join('; ')}`);
    }
    figures['late landings of an interrupted delivery’s request'] = lateInterrupted.length;
    check('no step skipped or out of order (ledger)', total - bad.length, total, bad, lateInterrupted.length ? `${lateInterrupted.length} late landing(s) of a dead delivery's request` : '');
  }

  // 8. Payload chain intact at every step.
  {
    const bad: string[] = [];
    for (const e of input.effects) {
      const r = expected.get(e.runId);
      if (!r) bad.push(`effect #${e.seq} of unknown run ${e.runId}`);
      else if (e.nonce !== r.nonce || !sameChain(e.chain, e.step)) bad.push(`${e.runId}: step ${e.step} attempt ${e.attempt} received nonce ${e.nonce} chain ${JSON.stringify(e.chain)}`);
    }
    for (const v of input.stepViolations) bad.push(`${v.runId}: step ${v.step} attempt ${v.attempt}: ${v.what}`);
    check('payload chain intact at every step', input.effects.length - bad.length, input.effects.length, bad, 'each effect carries the chain its step received');
  }

  // 9. Memo: one per step, the one of the last effect.
  const lastEffect = new Map<string, EffectRecord>();
  for (const e of input.effects) {
    const k = `${e.runId}/${e.step}`;
    if (!lastEffect.has(k) || lastEffect.get(k)!.seq < e.seq) lastEffect.set(k, e);
  }
  {
    const bad: string[] = [];
    const memosByRun = groupBy(memos, (m) => m.runId);
    let good = 0;
    for (const r of input.expected) {
      const ms = memosByRun.get(r.runId) ?? [];
      for (const m of ms) if (m.key !== `k:${MEMO_KEY}`) bad.push(`${r.runId}: unexpected memo ${m.step}/${m.key}`);
      for (let s = 0; s < r.steps; s++) {
        const m = ms.find((x) => x.step === s && x.key === `k:${MEMO_KEY}`);
        const last = lastEffect.get(`${r.runId}/${s}`);
        const v = m?.value as EffectMemo | undefined;
        // The delivery that settled the step read the memo exactly when an earlier one wrote it.
        const settled = historyOf(r.runId).find((x) => x.stepNumber === s && x.outcome === (s === r.steps - 1 ? 'succeeded' : 'continued'));
        if (!m) bad.push(`${r.runId}: step ${s} has no memo`);
        else if (!last || v?.seq !== last.seq || v.attempt !== last.attempt) bad.push(`${r.runId}: step ${s} memo ${JSON.stringify(v)} but its last effect is ${last ? `#${last.seq} (attempt ${last.attempt})` : 'none'}`);
        else if (settled && settled.attempt < v.attempt) bad.push(`${r.runId}: step ${s} settled by attempt ${settled.attempt}, before attempt ${v.attempt} wrote its memo`);
        else if (settled && settled.memoHits !== (settled.attempt > v.attempt ? 1 : 0)) {
          bad.push(`${r.runId}: step ${s} settled by attempt ${settled.attempt} with ${settled.memoHits} memo hit(s), memo written by attempt ${v.attempt}`);
        } else good++;
      }
    }
    for (const m of memos) if (!expected.has(m.runId)) bad.push(`memo of unknown run ${m.runId}`);
    check('memo written once per step, for its last effect, read on redelivery', good, total === 0 ? 0 : input.expected.reduce((n, r) => n + r.steps, 0), bad);
  }

  // 10. Side effects once per key, except interrupted ones (counted apart).
  {
    const bad: string[] = [];
    const byKey = groupBy(input.effects, (e) => `${e.runId}/${e.step}/${e.key}`);
    let once = 0;
    let byDeath = 0;
    let byNetwork = 0;
    for (const [key, es] of byKey) {
      es.sort((a, b) => a.seq - b.seq);
      if (es.length === 1) {
        once++;
        continue;
      }
      for (let i = 1; i < es.length; i++) {
        const prev = es[i - 1]!;
        const cur = es[i]!;
        const recs = attemptOutcome(prev.runId, prev.step, prev.attempt);
        const outcomes = recs.map((x) => x.outcome);
        if (prev.attempt === cur.attempt) {
          // The same delivery asked twice: its first request failed (offline) after the ledger recorded it.
          if (prev.instance === cur.instance && prev.jobId === cur.jobId) byNetwork++;
          else bad.push(`${key}: effects #${prev.seq} and #${cur.seq} both claim attempt ${cur.attempt}, from instances ${prev.instance} and ${cur.instance}`);
        } else if (outcomes.length === 1 && INTERRUPTED.has(outcomes[0]!)) {
          if (outcomes[0] === 'interrupted' && prev.instance === cur.instance) {
            bad.push(`${key}: attempt ${prev.attempt} was recorded interrupted (its worker dead) yet the same instance ${cur.instance} performed attempt ${cur.attempt}`);
          } else byDeath++;
        } else if (outcomes.length === 1 && outcomes[0] === 'retried' && /ledger unreachable/.test(recs[0]!.error ?? '')) {
          byNetwork++;
        } else {
          bad.push(`${key}: effect #${cur.seq} (attempt ${cur.attempt}) repeats #${prev.seq} (attempt ${prev.attempt}, whose delivery ended ${outcomes.join('/') || 'with no history record'}${recs[0]?.error ? `: ${recs[0].error}` : ''})`);
        }
      }
    }
    figures['effect keys'] = byKey.size;
    figures['effects executed'] = input.effects.length;
    figures['extra effects: delivery interrupted (worker died / lease lost) between effect and memo'] = byDeath;
    figures['extra effects: answer lost (ledger went offline mid-request)'] = byNetwork;
    check(
      'side effect once per memo key',
      once,
      byKey.size,
      bad,
      `${byKey.size - once} key(s) repeated, ${byDeath + byNetwork} extra effect(s): ${byDeath} by a delivery interrupted between effect and memo write, ${byNetwork} by an answer lost to the network`,
    );
  }

  // 11. Nothing left behind: queue empty, no claim, no waiter.
  {
    const bad: string[] = [];
    const states = countBy(jobs, (j) => j.state);
    for (const j of jobs.slice(0, 10)) bad.push(`job ${j.id} ${j.state} (run ${j.runId ?? '-'}, step ${j.headers['workflow.step'] ?? '-'}, hook ${j.headers['workflow.terminal'] ?? '-'}, attempts ${j.attempts}, owner ${j.owner ?? '-'}, error ${j.lastError ?? '-'})`);
    if (jobs.length > 10) bad.push(`… ${jobs.length - 10} more jobs`);
    if (jobAttempts.length) bad.push(`${jobAttempts.length} job attempt records left`);
    if (events.length) bad.push(`${events.length} event records left`);
    const active = [...runs.values()].filter((r) => r.state === 'active');
    for (const r of active.slice(0, 10)) bad.push(`run ${r.runId} still active at step ${r.stepNumber}`);
    check(
      'queue empty: no job pending, claimed, scheduled or dead',
      jobs.length === 0 ? 1 : 0,
      1,
      bad,
      `jobs ${jobs.length}${jobs.length ? ` ${JSON.stringify(states)}` : ''}, job attempts ${jobAttempts.length}, events ${events.length}, active runs ${active.length}`,
    );
  }

  checks.notes.push(...lateInterrupted.slice(0, 20));
  return checks.result();
}
