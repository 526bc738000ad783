/**
 * Turns one sample's marks into contiguous phases (each the gap between two consecutive marks
 * on the way from the interruption to the redelivered step's runner), so the phases of a
 * sample add up to its total. Pure functions, Node side.
 *
 *   reload:    reload → navigation start → HTML received → page bundle running (connect)
 *              → worker global created
 *   reopen:    navigation start → HTML received → page bundle running (connect) → worker global
 *              created (Chromium fetches a SharedWorker's script before creating its global)
 *   crash:     crash → the client's alive lock granted (death learned) → `new SharedWorker()`
 *              → worker global created
 *   then, for a fresh worker: → bundle evaluating (fetched, parsed) → library evaluated
 *              → alive+owner locks granted → `ready` (database open, runtime built)
 *              → executor lock granted → `executing` (recovery done) → runner entered
 *   fallback:  close → the surviving tab's worker granted the executor lock → recovery → runner
 */
import type { MarksSnapshot, TxMark, WorkerMarks } from './marks.ts';

export type Scenario = 'reload' | 'reopen' | 'crash' | 'fallback';

export interface SampleDetail {
  /** Phase name → ms, in order; they sum to the sample's total. */
  phases: Record<string, number>;
  /**
   * The new executor's transactions up to the runner's entry (from its start, or from its
   * executor lock grant in the fallback), as offsets from that grant (negative: before it).
   */
  txs: TxSpan[];
  /** `executing` (recovery returned) and the runner's entry, ms after the executor lock grant. */
  executingAfterGrant: number;
  runnerAfterGrant: number;
  /** `indexedDB.open` request → success, summed (part of dbOpen). */
  idbOpenMs: number;
  /** Worker constructions by the page after the interruption (more than 1: a re-knock). */
  workerCtors: number;
}

export interface TxSpan {
  mode: string;
  /** 'all' when it spans every table (the group committer's read-write scope). */
  scope: string;
  requests: string[];
  startMs: number;
  durationMs: number;
}

const r1 = (ms: number) => Math.round(ms * 10) / 10;

function lockGranted(w: WorkerMarks, suffix: string): number {
  return Math.max(...w.locks.filter((l) => l.name.includes(suffix)).map((l) => l.granted ?? NaN));
}

export function samplePhases(scenario: Scenario, t0: number, snap: MarksSnapshot, w: WorkerMarks, runnerAt: number): SampleDetail {
  const marks: [string, number][] = [];
  const p = snap.page;
  const ctors = p.workerCtors.filter((t) => t >= t0);
  if (scenario === 'reload') marks.push(['navigation', p.timeOrigin]);
  if (scenario === 'reload' || scenario === 'reopen') marks.push(['html', p.responseEnd], ['pageScript', p.connectCalled ?? NaN]);
  if (scenario === 'crash') {
    const death = Math.min(...p.locks.filter((l) => l.name.includes(':alive:') && (l.granted ?? 0) >= t0).map((l) => l.granted!));
    marks.push(['deathDetected', death], ['reconnect', ctors[0] ?? NaN]);
  }
  const exec = lockGranted(w, ':executor');
  if (scenario !== 'fallback') {
    marks.push(
      ['workerSpawn', w.timeOrigin],
      ['workerScript', w.scriptStart],
      ['workerModules', w.modulesEvaluated ?? NaN],
      ['serveLocks', Math.max(lockGranted(w, ':alive:'), lockGranted(w, ':owner:'))],
      ['dbOpen', w.ready ?? NaN],
    );
  }
  marks.push(['execLockWait', exec], ['recovery', w.executing ?? NaN], ['claimToRunner', runnerAt]);
  const phases: Record<string, number> = {};
  let prev = t0;
  for (const [name, at] of marks) {
    phases[name] = r1(at - prev);
    prev = at;
  }
  const txs = w.txs
    .filter((t: TxMark) => t.created >= (scenario === 'fallback' ? exec : t0) && t.created <= runnerAt)
    .map(
      (t): TxSpan => ({
        mode: t.mode,
        scope: t.stores.length >= 6 ? 'all' : t.stores.join('+'),
        requests: t.requests,
        startMs: r1(t.created - exec),
        durationMs: r1((t.completed ?? NaN) - t.created),
      }),
    );
  const idbOpenMs = r1(w.idbOpens.reduce((a, o) => a + ((o.end ?? NaN) - o.start), 0));
  return { phases, txs, executingAfterGrant: r1((w.executing ?? NaN) - exec), runnerAfterGrant: r1(runnerAt - exec), idbOpenMs, workerCtors: ctors.length };
}
