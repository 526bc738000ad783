/**
 * The core's side of the hand-off: the small reads of the `handoffs` table that tell whether the
 * hand-off code is needed at all, and the loading of that code (handoff-code.ts: `handoff`, the
 * poller, the landing, the forwarding and the gateway client), which is a chunk of its own.
 *
 * Invariant: nothing the worker entry reaches statically imports a module of that chunk (only
 * types); this file is the one place that loads it.
 */
import { WorkflowError } from '../core/errors.ts';
import type { Json } from '../core/json.ts';
import type { RuntimeContext } from './context.ts';
import type * as HandoffCodeModule from './handoff-code.ts';
import type { HandoffRecord } from './handoff-records.ts';
import type { RemotePoller } from './remote-poller.ts';
import { checkRunId } from './validate.ts';

type HandoffCode = typeof HandoffCodeModule;

/** How often the table is read for hand-offs made by other instances, in ms (one made here is followed at once). */
const SCAN_MS = 15_000;

let loading: Promise<HandoffCode> | undefined;

/**
 * The hand-off code, loaded on first use (once per worker). Few apps hand off, so the worker
 * does not carry it; and a hand-off needs the network anyway (its gateway), so fetching the
 * code at that moment costs nothing offline that the hand-off itself would not.
 * @throws `Unavailable` when the chunk cannot be fetched (offline); a later call tries again
 */
export function handoffCode(): Promise<HandoffCode> {
  return (loading ??= import('./handoff-code.ts').catch((e: unknown) => {
    loading = undefined;
    throw new WorkflowError('Unavailable', 'the hand-off code could not be loaded: check the network, then try again', { cause: String((e as Error | null)?.message ?? e) });
  }));
}

/** The hand-off record of `runId`: set while the run is remote. @throws `InvalidRunId` before anything is read */
export function handoffOf(ctx: RuntimeContext, runId: string): Promise<HandoffRecord | undefined> {
  checkRunId(runId);
  return ctx.store.read((t) => t.get<HandoffRecord>('handoffs', runId), ['handoffs']);
}

/** Whether any run is handed off (one count): only then can an event be meant for a remote run. */
export async function anyHandoff(ctx: RuntimeContext): Promise<boolean> {
  return (await ctx.store.read((t) => t.count('handoffs'), ['handoffs'])) > 0;
}

/**
 * `cancel` of a handed-off run goes to its server; only then is the hand-off code loaded.
 * @returns the server's answer, or `undefined` when the run is not handed off (cancel it here)
 */
export async function forwardedCancel(ctx: RuntimeContext, runId: string): Promise<boolean | undefined> {
  const rec = await handoffOf(ctx, runId);
  return rec ? (await handoffCode()).forwardCancel(ctx, rec) : undefined;
}

/**
 * An event may be meant for a remote run only while some run is handed off (one count decides
 * whether the hand-off code is needed). @returns the answer when a remote run took it, else `undefined`
 */
export async function forwardedEvent(ctx: RuntimeContext, key: string, payload: Json): Promise<'delivered' | 'buffered' | undefined> {
  return (await anyHandoff(ctx)) ? (await handoffCode()).forwardEvent(ctx, key, payload) : undefined;
}

/**
 * Follows every handed-off run from the executor-role instance (started and stopped with the
 * executor): reads the table at start (a browser that comes back resumes its remote runs),
 * every `SCAN_MS` (hand-offs made by other instances) and when kicked (one made here), and has
 * the poller (remote-poller.ts, loaded at the first record found) follow each run found.
 */
export class RemoteFollower {
  readonly #ctx: RuntimeContext;
  #poller: RemotePoller | undefined;
  #stop: AbortController | undefined;
  #scanning: Promise<void> | undefined;
  #kick = new AbortController();
  /** The last error a read of the table or the loading of the code survived (for inspection). */
  lastError: unknown;

  constructor(ctx: RuntimeContext) {
    this.#ctx = ctx;
  }

  start(): void {
    if (this.#stop) return;
    const stop = (this.#stop = new AbortController());
    this.#scanning = this.#scan(stop.signal);
  }

  /** Stops following; returns once no call of this instance writes anything more. */
  async stop(): Promise<void> {
    const stop = this.#stop;
    this.#stop = undefined;
    stop?.abort();
    await this.#scanning;
    await this.#poller?.settled();
  }

  /** Reads the table now (a hand-off was just made here). */
  kick(): void {
    this.#kick.abort();
  }

  async #scan(signal: AbortSignal): Promise<void> {
    const ctx = this.#ctx;
    while (!signal.aborted) {
      const kick = (this.#kick = new AbortController());
      try {
        const runIds = await ctx.store.read((t) => t.getAllKeys('handoffs', undefined), ['handoffs']);
        if (runIds.length > 0) {
          let poller = this.#poller;
          if (!poller) {
            const { RemotePoller } = await handoffCode();
            poller = this.#poller ??= new RemotePoller(ctx);
          }
          if (signal.aborted) return;
          for (const runId of runIds) poller.follow(runId as string, signal);
        }
      } catch (e) {
        if (ctx.store.isClosed) return;
        this.lastError = e;
      }
      await ctx.clock.sleep(SCAN_MS, AbortSignal.any([signal, kick.signal])).catch(() => undefined);
    }
  }
}
