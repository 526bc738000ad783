/**
 * Retention: expired terminal markers (memo retention, I-*), finished run records past
 * `keepDoneRunsMs` (with their history), and the queue's done/dead jobs. Runs at start and
 * then every `min(memoRetentionMs, 60 s)` (60 s without memo retention).
 *
 * Per expired marker, the run's memos go first, then the marker (I-11): a failure leaves the
 * marker for the next sweep. The cutoff is strict: a marker exactly `retention` old stays (I-07).
 */
import type { RuntimeContext } from './context.ts';
import type { MarkerRecord, RunRecord } from './records.ts';

const PAGE = 256;

export interface SweepOutcome {
  markers: number;
  runs: number;
  jobs: number;
}

/** Clears memos of runs whose marker is older than `now - retentionMs`. @returns markers cleared */
export async function sweepMarkers(ctx: RuntimeContext, retentionMs: number): Promise<number> {
  let cleared = 0;
  for (;;) {
    const cutoff = ctx.clock.now() - retentionMs;
    const { seen, done } = await ctx.store.write(async (t) => {
      const expired = await t.getAll<MarkerRecord>('terminals', 'terminalAt', t.keyRange.upperBound(cutoff, true), PAGE);
      let done = 0;
      for (const m of expired) {
        // An unreadable marker is skipped and not counted; never a prefix of every run (I-10, I-14).
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
      const expired = await t.getAll<RunRecord>('runs', 'expiresAt', t.keyRange.upperBound(now), PAGE);
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

export async function sweepAll(ctx: RuntimeContext): Promise<SweepOutcome> {
  const markers = ctx.options.memoRetentionMs !== undefined ? await sweepMarkers(ctx, ctx.options.memoRetentionMs) : 0;
  const runs = await sweepRuns(ctx);
  let jobs = 0;
  for (let n = -1; n !== 0; ) {
    n = await ctx.queue.sweep();
    jobs += n;
  }
  return { markers, runs, jobs };
}

/** The background sweeper: first pass at once, then on the interval, until `signal` aborts (I-13, I-17). */
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
