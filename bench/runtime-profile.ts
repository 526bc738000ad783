/**
 * Where one step transition's time goes: one run of `steps` no-op steps at concurrency 1, with
 * the request profiler on for the whole execution. Each transaction is attributed to the
 * transition (runner return → next runner entry) in which it was created; per transition we
 * report how many transactions of each kind ran, their requests and request waves (round
 * trips), and a split of the transition into time inside transactions and time outside them.
 * The same for sequential in-worker `submit()` calls (the client's submit round trip, minus
 * the page → worker hop).
 *
 * Means over the middle 80% of windows by duration (the SharedWorker clock steps by 0.1 ms,
 * see docs/platform.md, so only averages resolve sub-step costs; the trimming drops compaction stalls
 * and the executor's periodic maintenance).
 */
import { Runtime } from '../src/runtime/runtime.ts';
import { collectAll, installProfiler, record, type TxRecord } from './instrument.ts';
import { PAD, deleteDatabase, freshName, sleep } from './loop.ts';
import type { ConcurrentProfile, TransitionProfileResult, TransitionTxRow, WindowProfile } from './protocol.ts';
import { StepRecorder, WORKFLOW, submitRuns, warmUp } from './runtime-cells.ts';
import { percentile, roundUs } from './stats.ts';

const SUBMIT_CALLS = 100;

/** A readable name for a transaction, from what it asked for. */
function labelOf(t: TxRecord): string {
  const has = (r: string) => t.requests.includes(r);
  if (t.mode === 'readwrite' && has('jobs[ready].getAll') && has('runs.put')) return 'settle + claim next (fused)';
  if (t.mode === 'readonly' && t.requests.length === 2 && has('runs.get') && has('jobs.get')) return 'status read (runs + job)';
  if (t.mode === 'readwrite' && has('jobs[ready].getAll')) return 'claim (executor claimBatch)';
  if (t.mode === 'readwrite' && has('runs.put') && t.durability === 'strict' && !has('history.put')) return 'submit';
  if (t.mode === 'readwrite' && has('runs.put')) return 'settle';
  if (t.mode === 'readwrite' && t.requests.some((r) => r.startsWith('jobs[leaseUntil]'))) return 'reap (executor maintenance)';
  if (t.mode === 'readonly' && t.requests.length === 1 && has('runs.get')) return 'deliver: read run record';
  if (t.mode === 'readonly' && has('jobs[due].openCursor')) return 'executor: nextDueAt';
  return `${t.mode}: ${[...new Set(t.requests)].join(' ') || '(no request)'}`;
}

/** "1: a b | 2: c d": the transaction's requests grouped by the wave they were issued in. */
function waveStructure(t: TxRecord): string {
  const by = new Map<number, string[]>();
  t.requests.forEach((r, i) => {
    const w = t.requestWaves[i] ?? 0;
    by.set(w, [...(by.get(w) ?? []), r]);
  });
  return [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([w, rs]) => `${w}: ${rs.join(' ')}`)
    .join(' | ');
}

interface Window {
  start: number;
  end: number;
  txs: TxRecord[];
}

interface Acc {
  mode: string;
  durability: string;
  count: number;
  offset: number;
  gap: number;
  life: number;
  req: number;
  commit: number;
  waves: number;
  readWaves: number;
  requests: Record<string, number>;
  structures: Map<string, number>;
}

/** Per-window means over the middle 80% of windows by duration. */
function summarizeWindows(windows: Window[]): WindowProfile {
  const sorted = [...windows].sort((a, b) => a.end - a.start - (b.end - b.start));
  const cut = Math.floor(sorted.length * 0.1);
  const kept = sorted.slice(cut, sorted.length - cut);
  const n = Math.max(1, kept.length);
  const mean = (f: (w: Window) => number) => kept.reduce((a, w) => a + f(w), 0) / n;
  // Per kind (rows sorted by mean start offset); the gap before a transaction is measured from the
  // end of the transactions before it in the same window (or from the window's start).
  const acc = new Map<string, Acc>();
  const order: string[] = [];
  let inTx = 0;
  let before = 0;
  let after = 0;
  for (const w of kept) {
    const txs = [...w.txs].sort((a, b) => a.created - b.created);
    let prevEnd = w.start;
    let covered = 0;
    for (const t of txs) {
      const label = labelOf(t);
      let a = acc.get(label);
      if (!a) {
        a = { mode: t.mode, durability: t.durability, count: 0, offset: 0, gap: 0, life: 0, req: 0, commit: 0, waves: 0, readWaves: 0, requests: {}, structures: new Map() };
        acc.set(label, a);
        order.push(label);
      }
      const end = Number.isNaN(t.completed) ? w.end : Math.min(t.completed, w.end);
      const lastOk = Number.isNaN(t.lastSuccess) ? t.created : Math.min(t.lastSuccess, end);
      a.count++;
      a.offset += t.created - w.start;
      a.gap += Math.max(0, t.created - prevEnd);
      a.life += end - t.created;
      a.req += lastOk - t.created;
      a.commit += end - lastOk;
      a.waves += t.waves;
      a.readWaves += t.readWaves;
      for (const r of t.requests) a.requests[r] = (a.requests[r] ?? 0) + 1;
      const structure = waveStructure(t);
      a.structures.set(structure, (a.structures.get(structure) ?? 0) + 1);
      // Union of [created, end] (transactions may overlap: reads beside one another).
      const from = Math.max(t.created, prevEnd);
      if (end > from) covered += end - from;
      prevEnd = Math.max(prevEnd, end);
    }
    inTx += covered;
    before += txs[0] ? txs[0].created - w.start : w.end - w.start;
    after += txs.length ? w.end - prevEnd : 0;
  }
  const rows: TransitionTxRow[] = order.map((label) => {
    const a = acc.get(label)!;
    const per = (x: number) => roundUs(x / a.count);
    const requests: Record<string, number> = {};
    for (const [k, v] of Object.entries(a.requests)) requests[k] = Math.round((v / a.count) * 100) / 100;
    const [structure, seen] = [...a.structures.entries()].sort((x, y) => y[1] - x[1])[0] ?? ['', 0];
    return {
      label,
      mode: a.mode,
      durability: a.durability,
      perTransition: Math.round((a.count / n) * 100) / 100,
      startOffsetMs: per(a.offset),
      gapBeforeMs: per(a.gap),
      lifeMs: per(a.life),
      requestPhaseMs: per(a.req),
      commitPhaseMs: per(a.commit),
      waves: Math.round((a.waves / a.count) * 100) / 100,
      readWaves: Math.round((a.readWaves / a.count) * 100) / 100,
      requests,
      waveStructure: structure,
      waveStructureShare: Math.round((seen / a.count) * 100) / 100,
    };
  });
  rows.sort((x, y) => x.startOffsetMs - y.startOffsetMs);
  const ms = kept.map((w) => w.end - w.start).sort((a, b) => a - b);
  const txCount = (mode: string) => mean((w) => w.txs.filter((t) => t.mode === mode).length);
  const total = mean((w) => w.end - w.start);
  return {
    windows: kept.length,
    durationMs: { mean: roundUs(total), p50: roundUs(percentile(ms, 50)), min: roundUs(ms[0] ?? NaN), max: roundUs(ms[ms.length - 1] ?? NaN) },
    txPerWindow: { readwrite: roundUs(txCount('readwrite')), readonly: roundUs(txCount('readonly')) },
    roundTrips: roundUs(mean((w) => w.txs.reduce((a, t) => a + t.waves + 1, 0))),
    readRoundTrips: roundUs(mean((w) => w.txs.reduce((a, t) => a + t.readWaves, 0))),
    beforeFirstTxMs: roundUs(before / n),
    afterLastTxMs: roundUs(after / n),
    inTxMs: roundUs(inTx / n),
    outsideTxMs: roundUs(total - inTx / n),
    rows,
  };
}

/** 100 × 10 at concurrency 16 with the profiler on: what one group-commit settlement transaction holds. */
async function profileConcurrent(): Promise<ConcurrentProfile> {
  const runs = 100;
  const stepsPerRun = 10;
  const concurrency = 16;
  const name = freshName('bench-prof-rt16');
  const rec = new StepRecorder();
  const rt = await Runtime.open({ name, workflows: { [WORKFLOW]: rec.runner }, concurrency });
  let txs: TxRecord[];
  let ms: number;
  try {
    await warmUp(rt, rec, concurrency, 4, 'warm');
    await sleep(100);
    rec.reset(runs);
    await submitRuns(rt, runs, stepsPerRun, 'c16');
    const collected = collectAll();
    const t0 = performance.now();
    await rt.start();
    await rec.done;
    await rt.stop({ drain: true });
    ms = performance.now() - t0;
    txs = collected();
  } finally {
    await rt.close();
    await deleteDatabase(name);
  }
  const settle = txs.filter((t) => t.mode === 'readwrite' && t.requests.includes('runs.put'));
  const mean = (f: (t: TxRecord) => number) => roundUs(settle.reduce((a, t) => a + f(t), 0) / Math.max(1, settle.length));
  const end = (t: TxRecord) => (Number.isNaN(t.completed) ? t.created : t.completed);
  const ok = (t: TxRecord) => (Number.isNaN(t.lastSuccess) ? t.created : t.lastSuccess);
  const busy = settle.reduce((a, t) => a + (end(t) - t.created), 0);
  return {
    runs,
    stepsPerRun,
    concurrency,
    stepsPerSec: roundUs(rec.invocations / (ms / 1000)),
    settleTx: settle.length,
    otherRwTx: txs.filter((t) => t.mode === 'readwrite').length - settle.length,
    readonlyTx: txs.filter((t) => t.mode === 'readonly').length,
    stepsPerSettleTx: roundUs(rec.invocations / Math.max(1, settle.length)),
    settleTxLifeMs: mean((t) => end(t) - t.created),
    settleTxRequestMs: mean((t) => ok(t) - t.created),
    settleTxCommitMs: mean((t) => end(t) - ok(t)),
    settleTxWaves: mean((t) => t.waves),
    settleTxReadWaves: mean((t) => t.readWaves),
    settleTxBusyShare: roundUs(busy / ms),
  };
}

export async function profileTransitions(steps: number): Promise<TransitionProfileResult> {
  const stop = installProfiler();
  try {
    const plain = await profileSingleRun(steps, false);
    const subscribed = await profileSingleRun(steps, true);
    const concurrent = await profileConcurrent();
    return {
      steps,
      transition: summarizeWindows(transitionWindows(plain.rec, plain.all)),
      transitionSubscribed: summarizeWindows(transitionWindows(subscribed.rec, subscribed.all)),
      submit: { calls: SUBMIT_CALLS, ...summarizeWindows(plain.submits) },
      concurrent,
      note: NOTE,
    };
  } finally {
    stop();
  }
}

function transitionWindows(rec: StepRecorder, all: TxRecord[]): Window[] {
  const windows: Window[] = [];
  for (let i = 0; i + 1 < rec.enters.length; i++) {
    const start = rec.returns[i]!;
    const end = rec.enters[i + 1]!;
    windows.push({ start, end, txs: all.filter((t) => t.created >= start && t.created < end) });
  }
  return windows;
}

/**
 * Sequential submits (executor stopped; unsubscribed runs only), then one run of `steps` steps
 * at concurrency 1, all recorded.
 */
async function profileSingleRun(steps: number, subscribed: boolean): Promise<{ rec: StepRecorder; all: TxRecord[]; submits: Window[] }> {
  const name = freshName('bench-prof-rt');
  const rec = new StepRecorder();
  const rt = await Runtime.open({ name, workflows: { [WORKFLOW]: rec.runner }, concurrency: 1 });
  const unsubscribe = subscribed ? rt.subscribe(() => undefined) : () => undefined;
  const submits: Window[] = [];
  const calls = subscribed ? 0 : SUBMIT_CALLS;
  try {
    await warmUp(rt, rec, 4, 25, 'warm');
    await sleep(100);
    // Sequential submits, executor stopped (runs of 1 step, never executed).
    for (let i = 0; i < calls; i++) {
      let start = 0;
      const r = await record(async () => {
        start = performance.now();
        await rt.submit({ workflow: WORKFLOW, runId: `sub-${i}`, input: { steps: 1, pad: PAD } });
      });
      submits.push({ start, end: start + r.totalMs, txs: r.txs });
    }
    // Execute those first (untimed), then the profiled run alone.
    if (calls > 0) {
      rec.reset(calls);
      await rt.start();
      await rec.done;
      await rt.stop({ drain: true });
      await sleep(100);
    }
    rec.reset(1);
    await submitRuns(rt, 1, steps, 'prof');
    const collected = collectAll();
    await rt.start();
    await rec.done;
    await rt.stop({ drain: true });
    return { rec, all: collected(), submits };
  } finally {
    unsubscribe();
    await rt.close();
    await deleteDatabase(name);
  }
}

const NOTE =
  'transition: one run, concurrency 1, no subscriber (transitionSubscribed: with one, as under serve()); a transaction belongs to the transition (runner return → next runner entry) it was created in. submit: sequential runtime.submit() in the worker, executor stopped. Means over the middle 80% of windows by duration. requestPhase = created → last request answered, commitPhase = → complete (or the window end, if that came first); waves = request round trips before commit (+1 for the commit itself in roundTrips); readWaves = round trips waiting on a read result. inTx = time covered by at least one transaction; outsideTx = the rest (JS, promise hops, executor loop, validation, hashing). Profiler wrappers add a little to every request. concurrent: 100 × 10 at concurrency 16, settlement transactions (read-write with runs.put) summarised one by one.';
