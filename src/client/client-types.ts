/**
 * The client's public shape: what `connect()` takes and returns. Its own module so that the
 * typed client (typed.ts) and `connect` (connect.ts) both build on it without importing each other.
 */
import type { RunEvent, RunStatus } from '../core/types.ts';
import type { RunApi } from '../rpc/protocol.ts';

export interface ConnectOptions {
  /** The app's worker module (the one that calls `serve`). */
  url: string | URL;
  /**
   * The database name given to `serve`: the two must match (left out on either side, it is
   * 'stepwise'). A client that reaches a worker serving another name rejects every call, and
   * `mode`, with `InvalidArgument`. @default 'stepwise'
   */
  name?: string;
  /**
   * Chromium's `extendedLifetime` SharedWorker option: the worker survives reloads (a running
   * step is not interrupted) and keeps running 300 s after the last tab closes. It is part of
   * the worker's name, so pages that disagree get two workers (one executes) rather than an
   * error. @default false
   */
  extendedLifetime?: boolean;
  /** @default 'module' */
  type?: WorkerType;
}

/** A watcher receives the run's full status on every change, and the event that caused it. */
export type WatchListener = (status: RunStatus, event: RunEvent) => void;

/** The runtime's methods (each a call to the worker), plus live watching and lifecycle. */
export interface StepwiseClient extends RunApi {
  /** Live status of one run, or of every run with '*', in every open tab. @returns unsubscribe */
  watch(runId: string, listener: WatchListener): () => void;
  /** The database name this client talks to (`connect`'s `name`). */
  readonly name: string;
  /**
   * Which worker answers: 'shared' or the per-tab 'dedicated' fallback, once connected. Rejects
   * as the current connection attempt does: `Unavailable` (a worker that failed to start, or a
   * module that did not call `serve` within 5 s), `InvalidArgument` (names differ), `Outdated`.
   */
  readonly mode: Promise<'shared' | 'dedicated'>;
  /** How many times the client reconnected after its worker died. */
  readonly reconnects: number;
  close(): void;
}
