/**
 * The queue's vocabulary: what goes in (specs, options), what comes out (outcomes, claims).
 * Command results are `…Outcome`s, following taquba.
 */
import type { Json } from '../core/json.ts';
import type { RetryPolicy } from '../core/retry.ts';
import type { JobRecord } from '../store/db.ts';
import type { Tx } from '../store/tx.ts';

/** Priorities: a lower number is claimed first. */
export const Priority = Object.freeze({ HIGH: 100, NORMAL: 1000, LOW: 10_000 });

/** Per-queue settings; every field falls back to the queue-wide default. */
export type QueueConfigInput = Partial<Omit<QueueConfig, 'retry'>> & { retry?: Partial<RetryPolicy> };

export interface QueueConfig {
  /**
   * Deliveries before a job is dead-lettered (`retry.maxAttempts`; a job may override it) and
   * the backoff between them.
   */
  retry: RetryPolicy;
  /** Time lease of a claim where no better liveness signal exists. @default 30000 */
  leaseMs: number;
  /** Keep acknowledged jobs this long (0: delete on ack). @default 0 */
  keepDoneMs: number;
  /** Keep dead jobs this long. @default 7 days */
  deadRetentionMs: number;
  /** Largest payload or KV value, as UTF-8 JSON. @default 1 MiB */
  maxPayloadBytes: number;
}

export interface EnqueueOptions {
  /** Use this id instead of a generated ULID (1–128 of [A-Za-z0-9_-]). */
  id?: string;
  headers?: Record<string, string>;
  /** While a job with this key waits in the same queue, enqueueing again returns that job. */
  dedupKey?: string;
  /** Absolute due time on the queue clock (ms). Exclusive with `delayMs`. */
  runAt?: number;
  /** Due this many ms from now. */
  delayMs?: number;
  priority?: number;
  maxAttempts?: number;
  /** Groups the job under a workflow run (index for "a run's jobs"). */
  runId?: string;
  /** KV writes applied only if this enqueue creates a new job. */
  kvPut?: Record<string, Json>;
}

/** A job to enqueue as part of a settlement. */
export interface FollowUp extends EnqueueOptions {
  queue: string;
  payload: Json;
}

export type EnqueueOutcome = { kind: 'new'; id: string } | { kind: 'alreadyEnqueued'; id: string };

/**
 * Writes that commit with a settlement, or not at all.
 * `apply` runs last, inside the same transaction, for records the caller owns (run records,
 * memo, markers): it must await only the transaction's own requests (see store/tx.ts).
 */
export interface SettleEffects {
  enqueue?: FollowUp[];
  kvPut?: Record<string, Json>;
  kvDelete?: string[];
  apply?: (t: Tx, followUps: EnqueueOutcome[]) => Promise<void> | void;
}

/** A job held by one delivery. Its `token` is the fence every settlement must present. */
export interface Claim {
  readonly job: Readonly<JobRecord>;
  readonly token: string;
  readonly owner: string;
}

export interface ClaimOptions {
  /** Lease length for this claim. @default the queue's `leaseMs` */
  leaseMs?: number;
}

export type NackOutcome =
  | { kind: 'retried'; runAt: number }
  | { kind: 'deadLettered'; followUps: EnqueueOutcome[] };

export type CancelOutcome =
  | { kind: 'removed'; followUps: EnqueueOutcome[] }
  | { kind: 'requested' }
  | { kind: 'notFound' };

export type WakeOutcome = 'woken' | 'notScheduled' | 'notFound';

export interface QueueStats {
  pending: number;
  scheduled: number;
  claimed: number;
  /** Acknowledged since the queue was first used (including jobs no longer kept). */
  done: number;
  dead: number;
}

/** Why the queue dead-lettered a job on its own (lease expiry, dead owner, recovery at open). */
export type AutoDeadLetterReason = 'lease expired' | 'interrupted';
