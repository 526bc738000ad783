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

export type Command = CellCommand | HelloCommand | ProfileCommand;

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
  /** Smallest non-zero step of performance.now() seen, in ms (0.1 in a SharedWorker, see G6). */
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

export type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string };
