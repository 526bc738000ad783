/** Messages between bench/ai.ts, its page (page.ts) and its workers (overhead.worker.ts, app.worker.ts). */

/** One overhead cell: `n` sequential calls, after `warmup` untimed ones. */
export interface OverheadCommand {
  cell: OverheadCell;
  apiBase: string;
  n: number;
  warmup: number;
}

/**
 * generate-bare / stream-bare: `generateText` / `streamText` on the provider's model, in the worker.
 * generate-durable / stream-durable: each call in its own run, one step, the model wrapped in
 * `durableModel` (a memo miss: the call is made and recorded).
 */
export type OverheadCell = 'generate-bare' | 'generate-durable' | 'stream-bare' | 'stream-durable';

/** Per call, ms. For durable cells `totalMs` runs from submit to the run's outcome. */
export interface CallSample {
  totalMs: number;
  /** Time inside the call alone (the step's `generateText`/`streamText`, from its start to its text). */
  callMs: number;
  /** streams: call start (bare) or submit (durable) → the first text delta. */
  ttftMs?: number;
  /** streams, durable: the step's `streamText` start → its first text delta. */
  ttftInStepMs?: number;
}

export interface OverheadResult {
  cell: OverheadCell;
  samples: CallSample[];
}

/** Input of the app worker's `stream` workflow. */
export interface StreamInput {
  prompt: string;
}

/** Result of the app worker's `stream` workflow: epoch ms of each text delta as the step received it. */
export interface StreamOutput {
  tokens: number;
  /** `performance.timeOrigin + performance.now()` at each text delta, in the worker. */
  deltaAt: number[];
}

/** What tab B saw while watching a run: one entry per status with token progress. */
export interface WatchTrace {
  /** Epoch ms (timeOrigin + now) of each update, and the words of its text at that moment. */
  at: number[];
  words: number[];
}
