/**
 * `wait()` for any number of callers at the cost of one: a run ended by this instance resolves
 * its waiters from the runtime's own status events (one read of that run), and ONE shared poll
 * per `pollIntervalMs`, only while someone waits, reads every waited run in a single
 * transaction for ends committed by other instances. A wait whose `signal` aborts (its caller
 * is gone: the host aborts it when the page dies) is dropped at once and costs nothing more.
 *
 * Invariant: every waiter is in `#byRun` until it settles, and the poll loop runs exactly while
 * `#byRun` is not empty.
 */
import { checkMs } from '../core/check.ts';
import { WorkflowError, invalidArgument } from '../core/errors.ts';
import type { RunOutcome } from '../core/types.ts';
import { isTerminal } from '../core/types.ts';
import type { RuntimeContext } from './context.ts';
import { toOutcome, type RunRecord } from './records.ts';
import { checkRunId } from './validate.ts';

export interface WaitOptions {
  /** Give up with `Timeout` after this many ms on the runtime clock. @default no limit */
  timeoutMs?: number;
  /** Abandons the wait: it rejects `Unavailable` and is no longer polled. */
  signal?: AbortSignal;
}

interface Waiter {
  runId: string;
  deadline: number;
  timeoutMs: number | undefined;
  resolve(o: RunOutcome): void;
  reject(e: unknown): void;
}

export class Waits {
  readonly #ctx: RuntimeContext;
  readonly #byRun = new Map<string, Set<Waiter>>();
  #offEvents: (() => void) | undefined;
  /** Aborted to make the poll loop look again (a new earlier deadline, or nobody left). */
  #nudge = new AbortController();
  #polling = false;

  constructor(ctx: RuntimeContext) {
    this.#ctx = ctx;
  }

  /** How many waits are pending (for tests and inspection). */
  get size(): number {
    let n = 0;
    for (const s of this.#byRun.values()) n += s.size;
    return n;
  }

  /** @throws `InvalidRunId`, `InvalidArgument`, `RunNotFound`, `Timeout`, `Unavailable` once `signal` aborts */
  async wait(runId: string, options: WaitOptions = {}): Promise<RunOutcome> {
    checkRunId(runId);
    if (typeof options !== 'object' || options === null) throw invalidArgument('wait options', 'must be an object { timeoutMs? }', options);
    const { timeoutMs, signal } = options;
    if (timeoutMs !== undefined) checkMs(timeoutMs, 'timeoutMs');
    const { clock, store } = this.#ctx;
    const deadline = timeoutMs === undefined ? Infinity : clock.now() + timeoutMs;
    if (signal?.aborted) throw abandoned();
    const run = await store.read((t) => t.get<RunRecord>('runs', runId), ['runs']);
    const now = this.#settled(runId, run, deadline, timeoutMs);
    if (now) return now.outcome ?? Promise.reject(now.error);
    if (signal?.aborted) throw abandoned();
    return new Promise<RunOutcome>((resolve, reject) => {
      const off = () => signal?.removeEventListener('abort', onAbort);
      const w: Waiter = {
        runId,
        deadline,
        timeoutMs,
        resolve: (o) => (off(), resolve(o)),
        reject: (e) => (off(), reject(e)),
      };
      const onAbort = () => {
        this.#remove(w);
        w.reject(abandoned());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#add(w);
    });
  }

  /** An outcome or error for a waiter of `runId` given its record now, or undefined to keep waiting. */
  #settled(runId: string, run: RunRecord | undefined, deadline: number, timeoutMs: number | undefined): { outcome?: RunOutcome; error?: unknown } | undefined {
    if (!run) return { error: new WorkflowError('RunNotFound', `no run ${runId}`, { runId }) };
    const outcome = toOutcome(run);
    if (outcome) return { outcome };
    if (this.#ctx.clock.now() >= deadline) return { error: new WorkflowError('Timeout', `run ${runId} did not end within ${timeoutMs} ms`, { runId }) };
    return undefined;
  }

  #add(w: Waiter): void {
    let set = this.#byRun.get(w.runId);
    if (!set) this.#byRun.set(w.runId, (set = new Set()));
    set.add(w);
    this.#offEvents ??= this.#ctx.events.on((e) => {
      if (e.type === 'status' && isTerminal(e.status.state) && this.#byRun.has(e.status.runId)) void this.#check([e.status.runId]);
    });
    if (!this.#polling) void this.#poll();
    else if (w.deadline !== Infinity) this.#nudge.abort();
  }

  #remove(w: Waiter): void {
    const set = this.#byRun.get(w.runId);
    if (!set?.delete(w)) return;
    if (set.size === 0) this.#byRun.delete(w.runId);
    if (this.#byRun.size === 0) {
      this.#offEvents?.();
      this.#offEvents = undefined;
      this.#nudge.abort();
    }
  }

  /** Reads these runs in one transaction and settles their waiters that are done. */
  async #check(runIds: readonly string[]): Promise<void> {
    let runs: (RunRecord | undefined)[];
    try {
      runs = await this.#ctx.store.read((t) => Promise.all(runIds.map((id) => t.get<RunRecord>('runs', id))), ['runs']);
    } catch (e) {
      // Storage trouble: a wait with a deadline still ends on time; the others try again next poll.
      if (!this.#ctx.store.isClosed) return;
      for (const id of runIds) {
        for (const w of [...(this.#byRun.get(id) ?? [])]) {
          this.#remove(w);
          w.reject(e);
        }
      }
      return;
    }
    runIds.forEach((id, i) => {
      for (const w of [...(this.#byRun.get(id) ?? [])]) {
        const done = this.#settled(id, runs[i], w.deadline, w.timeoutMs);
        if (!done) continue;
        this.#remove(w);
        if (done.outcome) w.resolve(done.outcome);
        else w.reject(done.error);
      }
    });
  }

  /** The one poll: sleeps to the next poll or deadline, then checks every waited run at once. */
  async #poll(): Promise<void> {
    this.#polling = true;
    const { clock, options } = this.#ctx;
    try {
      while (this.#byRun.size > 0) {
        const nudge = (this.#nudge = new AbortController());
        let next = clock.now() + options.pollIntervalMs;
        for (const set of this.#byRun.values()) for (const w of set) next = Math.min(next, w.deadline);
        await clock.sleep(Math.max(0, next - clock.now()), nudge.signal).catch(() => undefined);
        if (nudge.signal.aborted || this.#byRun.size === 0) continue;
        await this.#check([...this.#byRun.keys()]);
      }
    } finally {
      this.#polling = false;
    }
  }
}

function abandoned(): WorkflowError {
  return new WorkflowError('Unavailable', 'the wait was abandoned: its caller is gone');
}
