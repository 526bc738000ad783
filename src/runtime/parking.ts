/**
 * Work this runtime cannot run: a step of a workflow, or a terminal notification of a hook,
 * that is not registered here. During a deploy two builds of an app share one database, and the
 * build that accepted a run (or whose run end enqueued the notification) may not be the one
 * holding the executor role; the job must wait for an instance that knows it, never fail.
 *
 * Such a delivery is put back unspent, in one transaction fenced on its claim: the attempt its
 * claim counted is given back, the claim released, and the job scheduled a short pause ahead
 * (growing per job, 1 s up to 30 s) so that this executor does not claim it again at once. The
 * host meanwhile hands the executor role to an instance that knows the work (src/host), and
 * `handBack` makes every job parked here due at once for that next executor.
 *
 * Invariant: parking never changes a job's attempts (its claim's +1 is undone), never writes its
 * attempt history, and never touches the run record: the run stays active at the same step.
 */
import { returnUnspent, toWaiting } from '../queue/job-state.ts';
import type { Claim } from '../queue/types.ts';
import type { RuntimeContext } from './context.ts';

/** Pauses before a parked job is due again here, by how many times this instance parked it. */
export const PARK_PAUSES_MS: readonly number[] = [1000, 2000, 4000, 8000, 15_000, 30_000];

/** Parked jobs remembered per instance (oldest forgotten first); a forgotten one is still due later. */
const MAX_TRACKED = 10_000;

/** What a job needs that this runtime lacks. */
export type Missing = { kind: 'workflow' | 'hook'; name: string };

/** The workflow and hook names of the jobs this instance parked and has not handed back. */
export interface ParkedWork {
  workflows: ReadonlySet<string>;
  hooks: ReadonlySet<string>;
}

interface Parked extends Missing {
  /** The due time this instance gave the job: handing back touches it only if still so. */
  runAt: number;
  parks: number;
}

export class Parking {
  readonly #ctx: RuntimeContext;
  readonly #jobs = new Map<string, Parked>();
  readonly #listeners = new Set<() => void>();

  constructor(ctx: RuntimeContext) {
    this.#ctx = ctx;
  }

  /**
   * Puts a claimed job back unspent, due after this instance's next pause for it.
   * @throws WorkflowError `ClaimLost` when the claim is no longer held (nothing is written)
   */
  async park(claim: Claim, missing: Missing): Promise<void> {
    const id = claim.job.id;
    const parks = this.#jobs.get(id)?.parks ?? 0;
    const pause = PARK_PAUSES_MS[Math.min(parks, PARK_PAUSES_MS.length - 1)]!;
    const runAt = await this.#ctx.queue.transact(async (ops) => {
      const job = await ops.fence(claim);
      const now = ops.now();
      returnUnspent(job, now + pause, now);
      ops.t.put('jobs', job);
      return job.runAt;
    });
    this.#jobs.delete(id);
    this.#jobs.set(id, { ...missing, runAt, parks: parks + 1 });
    if (this.#jobs.size > MAX_TRACKED) this.#jobs.delete(this.#jobs.keys().next().value!);
    for (const l of this.#listeners) l();
  }

  /** What the jobs parked here need. */
  parked(): ParkedWork {
    const workflows = new Set<string>();
    const hooks = new Set<string>();
    for (const p of this.#jobs.values()) (p.kind === 'workflow' ? workflows : hooks).add(p.name);
    return { workflows, hooks };
  }

  /** Calls `listener` after each job parked here. @returns unsubscribe */
  onParked(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Makes every job parked here that still waits with the due time given to it due now, in one
   * transaction, and forgets them all: whoever executes next runs them without waiting out a pause.
   */
  async handBack(): Promise<void> {
    if (this.#jobs.size === 0) return;
    const parked = [...this.#jobs];
    this.#jobs.clear();
    await this.#ctx.queue.transact(async (ops) => {
      const jobs = await Promise.all(parked.map(([id]) => ops.getJob(id)));
      const now = ops.now();
      jobs.forEach((job, i) => {
        if (job?.state !== 'scheduled' || job.runAt !== parked[i]![1].runAt || job.runAt <= now) return;
        toWaiting(job, now, now);
        ops.t.put('jobs', job);
        ops.touched.add(job.queue);
      });
    });
  }
}

const parkings = new WeakMap<RuntimeContext, Parking>();

/** The parking of one runtime (one per context). */
export function parkingOf(ctx: RuntimeContext): Parking {
  let p = parkings.get(ctx);
  if (!p) parkings.set(ctx, (p = new Parking(ctx)));
  return p;
}
