/**
 * Follows handed-off runs, each until it lands, for the executor-role instance (handoff-check.ts
 * `RemoteFollower` finds them in the `handoffs` table and loads this module then):
 * - 'sending': sends the hand-off again until the gateway acknowledges it (idempotent there);
 * - 'remote': long-polls the run's outcome and lands it (remote-landing.ts), and meanwhile reads
 *   its status every `statusPollMs`, recording it and publishing status and progress events,
 *   which the host fans out to every tab.
 * A failed gateway call waits `retryMs`, doubled per failure up to 60 s, and tries again. A
 * landing that finds the run already landed (another instance, an earlier poll) is a no-op.
 */
import { isTerminal } from '../core/types.ts';
import type { RemoteStatus } from '../restate/contract.ts';
import type { RuntimeContext } from './context.ts';
import { gatewayClient, type GatewayClient } from './gateway-client.ts';
import { getHandoff } from './handoff-records.ts';
import { forwardBuffered } from './remote-forward.ts';
import { land, saveSeen, sendHandoff } from './remote-landing.ts';

const MAX_RETRY_MS = 60_000;

export class RemotePoller {
  readonly #ctx: RuntimeContext;
  readonly #following = new Map<string, Promise<void>>();
  /** The last error a gateway call or a write survived (for inspection). */
  lastError: unknown;

  constructor(ctx: RuntimeContext) {
    this.#ctx = ctx;
  }

  /** Follows `runId` until it lands or `signal` aborts; a run followed already is left to that follow. */
  follow(runId: string, signal: AbortSignal): void {
    if (this.#following.has(runId)) return;
    const p = this.#follow(runId, signal).finally(() => this.#following.delete(runId));
    this.#following.set(runId, p);
  }

  /** Resolves once every follow has ended (their signal aborted): no call of theirs writes anything more. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#following.values()]);
  }

  async #follow(runId: string, signal: AbortSignal): Promise<void> {
    const ctx = this.#ctx;
    const o = ctx.options.handoff;
    let wait = o.retryMs;
    while (!signal.aborted) {
      try {
        const rec = await ctx.store.read((t) => getHandoff(t, runId), ['handoffs']);
        if (!rec) return; // landed
        const gateway = gatewayClient(rec.url, o.fetch);
        if (rec.phase === 'sending') {
          const sent = await sendHandoff(ctx, gateway, rec, signal);
          if (sent === 'refused') return;
        } else if (await this.#await(gateway, runId, signal)) {
          return;
        }
        wait = o.retryMs;
      } catch (e) {
        if (signal.aborted || ctx.store.isClosed) return;
        this.lastError = e;
        await ctx.clock.sleep(wait, signal).catch(() => undefined);
        wait = Math.min(wait * 2, MAX_RETRY_MS);
      }
    }
  }

  /** One outcome long-poll, with status polls beside it. @returns whether the run has landed (or is no longer remote) */
  async #await(gateway: GatewayClient, runId: string, signal: AbortSignal): Promise<boolean> {
    const ctx = this.#ctx;
    const o = ctx.options.handoff;
    const live = new AbortController();
    const both = AbortSignal.any([signal, live.signal]);
    const statuses = this.#watch(gateway, runId, both);
    try {
      const s = await gateway.outcome(runId, o.outcomeWaitMs, both);
      if (s === undefined) throw new Error(`the gateway ${gateway.url} knows no run ${runId} for this caller`);
      if (isTerminal(s.state)) {
        await land(ctx, runId, s);
        return true;
      }
      await this.#seen(gateway, runId, s);
      return false;
    } finally {
      live.abort();
      await statuses;
    }
  }

  /** Records a live status; a run now waiting on a key gets the event buffered here for it. */
  async #seen(gateway: GatewayClient, runId: string, s: RemoteStatus): Promise<void> {
    await saveSeen(this.#ctx, runId, s);
    if (s.state === 'waiting' && s.eventKey !== undefined) await forwardBuffered(this.#ctx, gateway, runId, s.eventKey);
  }

  async #watch(gateway: GatewayClient, runId: string, signal: AbortSignal): Promise<void> {
    const ctx = this.#ctx;
    while (!signal.aborted) {
      try {
        const s = await gateway.status(runId, signal);
        if (s && !signal.aborted) await this.#seen(gateway, runId, s);
      } catch (e) {
        if (signal.aborted) return;
        this.lastError = e;
      }
      await ctx.clock.sleep(ctx.options.handoff.statusPollMs, signal).catch(() => undefined);
    }
  }
}
