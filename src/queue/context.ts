/**
 * What every queue operation needs besides its transaction: time, ids, per-queue settings.
 * Operations are plain functions of `(t, ctx, …)` so that they can be group-committed
 * (store/committer.ts) and re-run after an abort. Recovery adds the hooks of the layer above
 * (`RecoveryContext`, recovery.ts); every job state change is in job-state.ts.
 */
import type { Clock } from '../core/clock.ts';
import { checkMs } from '../core/check.ts';
import { WorkflowError, invalidArgument } from '../core/errors.ts';
import type { UlidGenerator } from '../core/ids.ts';
import { DEFAULT_RETRY, definedOnly, retryPolicy } from '../core/retry.ts';
import type { QueueConfig, QueueConfigInput } from './types.ts';

export interface QueueContext {
  readonly clock: Clock;
  readonly ids: UlidGenerator;
  config(queue: string): QueueConfig;
  /** Queues known to have a `queues` record: saves a read per enqueue. */
  readonly knownQueues: Set<string>;
}

export const DEFAULT_QUEUE_CONFIG: Readonly<QueueConfig> = Object.freeze({
  retry: DEFAULT_RETRY,
  leaseMs: 30_000,
  keepDoneMs: 0,
  deadRetentionMs: 7 * 24 * 3600 * 1000,
  maxPayloadBytes: 1024 * 1024,
});

/** Merges and validates configuration. @throws WorkflowError `InvalidArgument` */
export function queueConfig(input: QueueConfigInput | undefined, base: QueueConfig = DEFAULT_QUEUE_CONFIG): QueueConfig {
  if (input !== undefined && (typeof input !== 'object' || input === null)) throw invalidArgument('queue config', 'must be an object');
  const { retry, ...rest } = input ?? {};
  const c: QueueConfig = { ...base, ...definedOnly(rest), retry: retryPolicy(retry, base.retry) };
  for (const k of ['leaseMs', 'keepDoneMs', 'deadRetentionMs'] as const) checkMs(c[k], k);
  if (!(Number.isInteger(c.maxPayloadBytes) && c.maxPayloadBytes > 0)) throw invalidArgument('maxPayloadBytes', 'must be a positive integer', c.maxPayloadBytes);
  return c;
}

/** Queue names are 1–255 characters. @throws WorkflowError `InvalidQueueName` */
export function checkQueueName(queue: unknown): asserts queue is string {
  if (typeof queue !== 'string' || queue.length === 0 || queue.length > 255) {
    throw new WorkflowError('InvalidQueueName', 'a queue name must be a string of 1 to 255 characters', {
      length: typeof queue === 'string' ? queue.length : null,
    });
  }
}
