/**
 * The page↔driver boundary of the peer benchmark (bench/peers.ts): one command in, one plain
 * JSON result out. Peers are what a user would pick instead of Stepwise: `@coji/durably` (a step
 * runtime on SQLite WASM over OPFS) and `workbox-background-sync`'s `Queue` (a request queue on
 * IndexedDB, in a service worker). Latencies are summarised where they were measured.
 */
import type { LatencySummary } from '../protocol.ts';

export type { LatencySummary };

/** Timed-window cells: one lane of back-to-back ops for `durationMs`. */
export type LoopCellName = 'raw-put' | 'raw-put-sw' | 'sqlocal-insert' | 'stepwise-queue' | 'workbox-queue' | 'workbox-queue-nosync';

/** Fixed-work cells: `runs` runs of `stepsPerRun` no-op steps, `concurrency` runs in flight. */
export type StepsCellName = 'durably-100x10' | 'durably-1x200' | 'stepwise-100x10' | 'stepwise-1x200';

export type PeerCellName = LoopCellName | StepsCellName;

export interface HelloCommand {
  kind: 'hello';
}

export interface LoopCommand {
  kind: 'loop';
  cell: LoopCellName;
  durationMs: number;
  /** Untimed ops first, on the same store. */
  warmupOps: number;
  settleMs: number;
}

export interface StepsCommand {
  kind: 'steps';
  cell: StepsCellName;
  runs: number;
  stepsPerRun: number;
  concurrency: number;
  /** durably cells only: its worker's timing options (ms). */
  durably?: { pollingIntervalMs: number; leaseRenewIntervalMs: number; leaseMs: number };
  /** Untimed runs first, on the same instance and database (JIT, first writes). */
  warmupRuns: number;
  warmupSteps: number;
  settleMs: number;
}

export type PeerCommand = HelloCommand | LoopCommand | StepsCommand;

export interface ContextInfo {
  crossOriginIsolated: boolean;
  /** Smallest non-zero step of `performance.now()`, in ms. */
  timerStepMs: number;
}

export interface HelloResult {
  page: ContextInfo & { userAgent: string; hardwareConcurrency: number; opfs: boolean; sharedArrayBuffer: boolean };
  /** The service worker that hosts the workbox queue. */
  serviceWorker: ContextInfo & { syncManager: boolean; scope: string };
}

export interface LoopResult {
  cell: LoopCellName;
  /** Timed ops: one put transaction (raw-put) or one enqueue→dequeue cycle (queues). */
  ops: number;
  elapsedMs: number;
  opsPerSec: number;
  latency: LatencySummary;
  /** Each call of a cycle: push/shift (workbox), enqueue/claim/ack (Stepwise). */
  parts?: Record<string, LatencySummary>;
  /** Cycles whose dequeue came back empty (should be 0). */
  emptyDequeues?: number;
  /** Anything the cell found out about its store (e.g. SQLite's journal mode). */
  note?: string;
}

export interface StepsResult {
  cell: StepsCellName;
  runs: number;
  stepsPerRun: number;
  concurrency: number;
  /** Step bodies invoked in the timed part (runs × stepsPerRun unless something was redelivered). */
  steps: number;
  /** All runs submitted (concurrently) before the executor starts. */
  submitMs: number;
  /** Executor start → every run terminal (executor stopped). */
  execMs: number;
  stepsPerSec: number;
  /** A step body's return → the next step body of the same run entering. */
  transition: LatencySummary;
  /** durably only: `step.run()` called → resolved (reads, the body, the persisted result). */
  stepCall?: LatencySummary;
  /** Runs found finished successfully at their last step afterwards (should equal `runs`). */
  succeeded: number;
  extraDeliveries: number;
}

export interface PeerBridge {
  run(cmd: PeerCommand): Promise<unknown>;
}

declare global {
  interface Window {
    peersBench?: PeerBridge;
  }
}
