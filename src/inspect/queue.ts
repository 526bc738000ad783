/**
 * Queue inspection for tests and devtools: counts, jobs and attempt histories, read from stored
 * state in one read transaction each. Every function takes a `Queue` or a `Runtime` (then it
 * reads the runtime's queue).
 */
import { checkString } from '../core/check.ts';
import { invalidArgument } from '../core/errors.ts';
import { checkQueueName } from '../queue/context.ts';
import type { QueueEngine } from '../queue/engine.ts';
import { history, stats as queueStats } from '../queue/inspect.ts';
import { Queue, queueEngine } from '../queue/queue.ts';
import type { QueueStats } from '../queue/types.ts';
import { Runtime, runtimeInternals } from '../runtime/runtime.ts';
import type { JobAttemptRecord, JobRecord } from '../store/db.ts';

/** A `Queue`, or a `Runtime` standing for its queue. */
export type QueueTarget = Queue | Runtime;

/** The engine under a queue or a runtime: Stepwise's own modules and tests only, never re-exported. */
export function engineOf(target: QueueTarget): QueueEngine {
  if (target instanceof Queue) return queueEngine(target);
  if (target instanceof Runtime) return runtimeInternals(target).ctx.queue;
  throw invalidArgument('queue', 'must be a Queue or a Runtime', target);
}

/** How many jobs of `queue` are in each state (`done`: acknowledged since the queue was first used). @throws `InvalidQueueName` */
export async function stats(target: QueueTarget, queue: string): Promise<QueueStats> {
  checkQueueName(queue);
  return engineOf(target).store.read((t) => queueStats(t, queue), ['jobs', 'queues']);
}

/** The stored job, whatever its state; undefined once deleted (acknowledged and not kept, or swept). */
export async function getJob(target: QueueTarget, jobId: string): Promise<JobRecord | undefined> {
  checkString(jobId, 'jobId');
  return engineOf(target).store.read((t) => t.get<JobRecord>('jobs', jobId), ['jobs']);
}

/** One record per settled, recovered or requeued attempt of a job, oldest first. */
export async function jobHistory(target: QueueTarget, jobId: string): Promise<JobAttemptRecord[]> {
  checkString(jobId, 'jobId');
  return engineOf(target).store.read((t) => history(t, jobId), ['attempts']);
}

/** The name of every queue that has ever had a job, in name order. */
export async function listQueues(target: QueueTarget): Promise<string[]> {
  return (await engineOf(target).store.read((t) => t.getAllKeys('queues', undefined), ['queues'])) as string[];
}
