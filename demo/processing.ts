/**
 * The demo's "runtime": claim a job, work on it between two transactions, settle it. It stands
 * in for the SharedWorker runtime until that exists, and runs in the page.
 */
import type { Queue } from '../src/queue/queue.ts';

export const QUEUE = 'demo';

export interface DemoTask {
  task: string;
  /** Milliseconds of pretend work. */
  ms: number;
  /** Fail this many first attempts, to show retries and dead-lettering. */
  failFirst: number;
}

/** Processes jobs until `signal` aborts. Never throws: a failed settlement is logged and the loop goes on. */
export async function processJobs(q: Queue, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const claim = await q.claimWait(QUEUE, 5_000, { signal });
    if (!claim) continue;
    const { task, ms, failFirst } = claim.job.payload as unknown as DemoTask;
    try {
      // The work happens outside any transaction: the claim committed, the settlement will commit.
      await q.clock.sleep(ms, signal);
      if (claim.job.attempts <= failFirst) {
        await q.nack(claim, `${task}: simulated failure on attempt ${claim.job.attempts}`, { retryAfterMs: 1_000 });
      } else {
        await q.ack(claim);
      }
    } catch (e) {
      if (!signal.aborted) console.warn('settlement failed', e);
    }
  }
}
