/**
 * Retention: expired terminal markers (memo retention, I-*), finished run records past
 * `keepDoneRunsMs` (with their history), buffered event payloads past `eventRetentionMs`, and
 * the queue's done/dead jobs. Runs at start and then every `min(memoRetentionMs, 60 s)` (60 s
 * without memo retention).
 *
 * Per expired marker, the run's memos go first, then the marker: a failure leaves the
 * marker for the next sweep. The cutoff is strict: a marker exactly `retention` old stays,
 * and so does a buffered payload exactly `eventRetentionMs` old.
 */
import { INDEX } from '../store/db.ts';
import type { RuntimeContext } from './context.ts';
import { discardExpired, isExpiredBuffer } from './event-slots.ts';
import { bufferId, type EventRecord, type MarkerRecord, type RunRecord } from './records.ts';

const PAGE = 256;

export interface SweepOutcome {
  markers: number;
  runs: number;
  /** Buffered event payloads discarded. */
  events: number;
  jobs: number;
}

/** Clears memos of runs whose marker is older than `now - retentionMs`. @returns markers cleared */
export async function sweepMarkers(ctx: RuntimeContext, retentionMs: number): Promise<number> {
  let cleared = 0;
  for (;;) {
    const cutoff = ctx.clock.now() - retentionMs;
    const { seen, done } = await ctx.store.write(async (t) => {
      const expired = await t.getAll<MarkerRecord>('terminals', INDEX.terminals.terminalAt, t.keyRange.upperBound(cutoff, true), PAGE);
      let done = 0;
      for (const m of expired) {
        // An unreadable marker is skipped and not counted; never a prefix of every run.
        if (typeof m.runId !== 'string' || m.runId.length === 0) continue;
        t.delete('memos', t.keyRange.bound([m.runId], [m.runId, []]));
        t.delete('terminals', m.runId);
        done++;
      }
      return { seen: expired.length, done };
    });
    cleared += done;
    // A full page of only unreadable markers would come back forever: stop there.
    if (seen < PAGE || done === 0) return cleared;
  }
}

/** Deletes finished runs whose status retention has passed, with their history. */
export async function sweepRuns(ctx: RuntimeContext): Promise<number> {
  let cleared = 0;
  for (;;) {
    const now = ctx.clock.now();
    const n = await ctx.store.write(async (t) => {
      const expired = await t.getAll<RunRecord>('runs', INDEX.runs.expiresAt, t.keyRange.upperBound(now), PAGE);
      for (const r of expired) {
        if (r.state === 'active') continue;
        t.delete('runs', r.runId);
        t.delete('history', t.keyRange.bound([r.runId], [r.runId, []]));
      }
      return expired.length;
    });
    cleared += n;
    if (n < PAGE) return cleared;
  }
}

/**
 * Discards buffered event payloads sent before `now - eventRetentionMs`, keeping any waiter
 * registered on their keys. Events have no index by send time: the table is read page by page
 * in read-only transactions (beside any write), and only the expired ones are written, each
 * checked again in the writing transaction (a payload sent meanwhile is another buffer, kept).
 * @returns payloads discarded
 */
export async function sweepEvents(ctx: RuntimeContext): Promise<number> {
  let cleared = 0;
  let after: string | undefined;
  for (;;) {
    const cutoff = ctx.clock.now() - ctx.options.eventRetentionMs;
    const range = after === undefined ? undefined : ctx.store.keyRange.lowerBound(after, true);
    const page = await ctx.store.read((t) => t.getAll<EventRecord>('events', undefined, range, PAGE), ['events']);
    const expired = page.filter((ev) => isExpiredBuffer(ev, cutoff)).map((ev) => ({ key: ev.key, id: bufferId(ev.buffered!) }));
    if (expired.length > 0) {
      cleared += await ctx.store.write(async (t) => {
        const current = await Promise.all(expired.map((e) => t.get<EventRecord>('events', e.key)));
        let n = 0;
        for (const [i, ev] of current.entries()) if (discardExpired(t, ev, cutoff, expired[i]!.id)) n++;
        return n;
      });
    }
    if (page.length < PAGE) return cleared;
    after = page.at(-1)!.key;
  }
}

export async function sweepAll(ctx: RuntimeContext): Promise<SweepOutcome> {
  const markers = ctx.options.memoRetentionMs !== undefined ? await sweepMarkers(ctx, ctx.options.memoRetentionMs) : 0;
  const runs = await sweepRuns(ctx);
  const events = await sweepEvents(ctx);
  let jobs = 0;
  for (let n = -1; n !== 0; ) {
    n = await ctx.queue.sweep();
    jobs += n;
  }
  return { markers, runs, events, jobs };
}

/** The background sweeper: first pass at once, then on the interval, until `signal` aborts. */
export async function runSweeper(ctx: RuntimeContext, signal: AbortSignal, onError: (e: unknown) => void): Promise<void> {
  const every = Math.min(ctx.options.memoRetentionMs ?? 60_000, 60_000);
  while (!signal.aborted) {
    try {
      await sweepAll(ctx);
    } catch (e) {
      if (signal.aborted) return;
      onError(e); // contained: the next tick tries again
    }
    await ctx.clock.sleep(every, signal).catch(() => undefined);
  }
}
