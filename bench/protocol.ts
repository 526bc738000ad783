/**
 * The page↔worker boundary of the benchmark: one command in, one JSON result out.
 * Only plain, structured-cloneable data crosses. Latencies are summarised inside the worker
 * so that no sample arrays travel.
 */

/** Latency summary in milliseconds. */
export interface LatencySummary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
}

export type CellName =
  | 'raw-put'
  | 'raw-batch100'
  | 'raw-put-16lanes'
  | 'raw-cycle'
  | 'raw-cycle-lean'
  | 'queue-lane1'
  | 'queue-16lanes'
  | 'queue-chain-lane1';

export interface CellCommand {
  kind: 'cell';
  cell: CellName;
  /** Timed window of the cell. */
  durationMs: number;
  /** Hard cap on timed operations (cycles for queue cells, transactions otherwise). */
  maxOps: number;
  /** Untimed operations run first on the same database (JIT, first-write costs). */
  warmupOps: number;
  /** Pause before the cell starts (after its database is opened and warmed). */
  settleMs: number;
  lanes: number;
}

export interface HelloCommand {
  kind: 'hello';
}

export interface ProfileCommand {
  kind: 'profile';
  cycles: number;
}

/** The runtime's workloads (bench/runtime-cells.ts): no-op step chains through `Runtime`, in the worker. */
export type RuntimeCellName = 'rt-100x10' | 'rt-1x200' | 'rt-100x10-depth' | 'rt-1x200-sub' | 'rt-1x200-fn';

export interface RuntimeCellCommand {
  kind: 'runtime';
  cell: RuntimeCellName;
  runs: number;
  stepsPerRun: number;
  concurrency: number;
  /** Subscribe a no-op listener first, as `serve()` always does: settlements then build the run's status (extra reads). */
  subscribed: boolean;
  /** Run the chain as a `workflow()` durable function (one `run.step` per step) instead of a `StepRunner`. */
  functions?: boolean;
  /** Foreign jobs scheduled far in the future on the steps queue before the timed part (0: none). */
  depth: number;
  /** Jobs per `enqueueBatch` transaction of the depth prefill. */
  depthBatch: number;
  /** Prefill a fresh database every rep (slow) instead of once per bench run. */
  freshDepth: boolean;
  /** Pause after a prefill (LevelDB compacts after a bulk insert). */
  postPrefillSettleMs: number;
  /** Untimed runs first, on the same runtime (JIT, first writes): started, drained, stopped. */
  warmupRuns: number;
  warmupSteps: number;
  /** Pause after the warm-up (and the prefill), before the timed submissions. */
  settleMs: number;
}

/** The page-side workload (bench/client-cells.ts): `connect()` to a SharedWorker that calls `serve()`. */
export type ClientCellName = 'client-submit';

export interface ClientCellCommand {
  kind: 'client';
  cell: ClientCellName;
  /** Sequential `submit` calls (timed one by one). */
  submits: number;
  /** Sequential `status(runId)` calls on finished runs, with the executor idle. */
  statusCalls: number;
  /** `submit` calls all in flight at once. */
  burst: number;
  /** Sequential `submit` calls to a serve() worker that never executes (the page holds its executor lock). */
  idleSubmits: number;
  /** Untimed calls of each kind first. */
  warmupCalls: number;
  settleMs: number;
}

/** One transition of a single run at concurrency 1, with the request profiler on. */
export interface TransitionProfileCommand {
  kind: 'transition-profile';
  steps: number;
}

export type Command = CellCommand | HelloCommand | ProfileCommand | RuntimeCellCommand | ClientCellCommand | TransitionProfileCommand;

export interface CellResult {
  cell: CellName;
  /** Timed operations: transactions for raw cells, enqueue→claim→ack cycles for queue cells. */
  ops: number;
  /** Records written (raw batch cell: ops × 100). */
  records: number;
  elapsedMs: number;
  opsPerSec: number;
  recordsPerSec: number;
  /** Latency of one op (a transaction, or a whole cycle). */
  latency: LatencySummary;
  /** Mean op latency (ms) in each tenth of the timed window, in order: shows drift within a cell. */
  decileMeansMs: number[];
  /** Queue lane-1 cells only: each transaction of the cycle, and all of them pooled. */
  enqueue?: LatencySummary;
  claim?: LatencySummary;
  ack?: LatencySummary;
  perTransaction?: LatencySummary;
  /** Queue lane-1 only: `decileMeansMs` of each step. */
  stepDecileMeansMs?: { enqueue: number[]; claim: number[]; ack: number[] };
  /** Read-write transactions the browser was asked for during the timed window. */
  readwriteTransactions: number;
  /** Claims that came back empty (should be 0). */
  emptyClaims?: number;
}

export interface HelloResult {
  crossOriginIsolated: boolean;
  /** Smallest non-zero step of performance.now() seen, in ms (0.1 in a SharedWorker, see docs/platform.md). */
  timerStepMs: number;
  userAgent: string;
  hardwareConcurrency: number;
}

/** What one transaction looked like, averaged over the profiled ops of one kind. */
export interface TxShape {
  /** Transactions per op. */
  transactions: number;
  /** Tables in each transaction's scope. */
  scope: string[];
  mode: string;
  durability: string;
  /** Requests per op, by `table[.index].method`. */
  requests: Record<string, number>;
}

export interface OpProfile {
  op: string;
  count: number;
  shape: TxShape;
  /** Mean ms: the whole call as the caller sees it. */
  totalMs: number;
  /** Mean ms from `db.transaction()` to the last request's success event. */
  requestPhaseMs: number;
  /** Mean ms from the last request's success to `complete`. */
  commitPhaseMs: number;
  /** Mean ms of the call outside its transactions (validation, queuing, promise hops). */
  outsideTxMs: number;
}

export interface ProfileResult {
  cycles: number;
  ops: OpProfile[];
  note: string;
}

export interface RuntimeCellResult {
  cell: RuntimeCellName;
  runs: number;
  stepsPerRun: number;
  concurrency: number;
  /** Runner invocations in the timed part (runs × stepsPerRun when nothing was redelivered). */
  steps: number;
  /** All runs submitted (concurrently) before `start()`. */
  submitMs: number;
  /** `start()` → every run terminal (the last settlement committed). */
  execMs: number;
  /** steps / execMs: the execution alone. */
  stepsPerSec: number;
  /** steps / (first submit → last run terminal). */
  stepsPerSecFromSubmit: number;
  /** A step's runner returning → the next step of the same run entering its runner. */
  transition: LatencySummary;
  transitionDecileMeansMs: number[];
  /** Runner invocations beyond one per step (redeliveries); should be 0. */
  extraDeliveries: number;
  /** Transactions the browser was asked for from `start()` to the end, per step. */
  readwriteTxPerStep: number;
  readonlyTxPerStep: number;
  /** Runs found `succeeded` at their last step afterwards (should equal `runs`). */
  succeeded: number;
  /**
   * Single-put transactions/s on THIS cell's database right after the timed part (untimed for
   * the cell): the physical limit where the runs ran, so a depth effect splits into "the
   * database got slower" and "the runtime got slower".
   */
  dbPutsPerSec: number;
  /** The same into the `jobs` store (indexed: what a transition writes). */
  dbJobPutsPerSec: number;
  depth?: {
    foreign: number;
    /** Whether this rep prefilled its database (the first rep, or every rep with freshDepth); prefillMs is NaN otherwise. */
    prefilledThisRep: boolean;
    prefillMs: number;
    prefillRecordsPerSec: number;
    /** After the run: foreign jobs still scheduled (should equal `foreign`), and dead jobs (should be 0). */
    foreignScheduledAfter: number;
    deadAfter: number;
  };
}

export interface ClientCellResult {
  cell: ClientCellName;
  mode: string;
  /** `performance.now()` step on the page, in ms. */
  pageTimerStepMs: number;
  /** Sequential submits from the page, executor running (each run executes while the next is submitted). */
  submitSequential: { n: number; ms: number; runsPerSec: number; latency: LatencySummary };
  /** Sequential submits to a worker with no executor: the submit path alone. */
  submitNoExecutor: { n: number; ms: number; runsPerSec: number; latency: LatencySummary };
  /** Sequential `status(runId)` of finished runs, executor idle. */
  status: { n: number; ms: number; callsPerSec: number; latency: LatencySummary };
  /** `burst` submits all in flight; `executedRunsPerSec`: first submit → every one of them terminal. */
  burst: { n: number; ms: number; runsPerSec: number; allTerminalMs: number; executedRunsPerSec: number };
  /** Runs of this rep found succeeded (should be submits + burst). */
  succeeded: number;
}

/** One kind of transaction seen in the transitions, averaged per transition. */
export interface TransitionTxRow {
  label: string;
  mode: string;
  durability: string;
  /** Transactions of this kind per transition. */
  perTransition: number;
  /** Mean ms from the runner's return to this transaction's creation. */
  startOffsetMs: number;
  /** Mean ms from the end of the previous transaction of the transition (or the runner's return) to its creation. */
  gapBeforeMs: number;
  lifeMs: number;
  requestPhaseMs: number;
  commitPhaseMs: number;
  waves: number;
  readWaves: number;
  requests: Record<string, number>;
  /** The most common request order of this kind, by wave: "1: a b | 2: c …" (and how often it was seen). */
  waveStructure: string;
  waveStructureShare: number;
}

export interface ConcurrentProfile {
  runs: number;
  stepsPerRun: number;
  concurrency: number;
  stepsPerSec: number;
  /** Read-write transactions holding settlements, and the rest (sweeper, reap, claims of the loop). */
  settleTx: number;
  otherRwTx: number;
  readonlyTx: number;
  /** Steps settled per settlement transaction (bodies run one after another inside it). */
  stepsPerSettleTx: number;
  /** Means over settlement transactions. */
  settleTxLifeMs: number;
  settleTxRequestMs: number;
  settleTxCommitMs: number;
  settleTxWaves: number;
  settleTxReadWaves: number;
  /** Share of the execution during which a settlement transaction was open. */
  settleTxBusyShare: number;
}

/** Transactions seen inside a set of windows (transitions, or submit calls), averaged per window. */
export interface WindowProfile {
  /** Windows kept (middle 80% by duration). */
  windows: number;
  durationMs: { mean: number; p50: number; min: number; max: number };
  txPerWindow: { readwrite: number; readonly: number };
  /** Σ over the window's transactions of (waves + 1 commit). */
  roundTrips: number;
  /** Σ of read waves (round trips the code waited on for a result). */
  readRoundTrips: number;
  /** Window start (runner return, or the call) → first transaction created. */
  beforeFirstTxMs: number;
  /** Last transaction completed → window end (next runner entered, or the call resolved). */
  afterLastTxMs: number;
  /** Time covered by at least one transaction. */
  inTxMs: number;
  /** The rest: JS, promise hops, the executor loop, validation, hashing. */
  outsideTxMs: number;
  rows: TransitionTxRow[];
}

export interface TransitionProfileResult {
  steps: number;
  /** Runner return → the next step's runner entry, one run at concurrency 1. */
  transition: WindowProfile;
  /** The same with a subscriber (as under `serve()`). */
  transitionSubscribed: WindowProfile;
  /** `runtime.submit()` in the worker, sequential, executor stopped. */
  submit: WindowProfile & { calls: number };
  /** 100 runs × 10 steps at concurrency 16: how the committer batches settlements. */
  concurrent: ConcurrentProfile;
  note: string;
}

export type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string };
