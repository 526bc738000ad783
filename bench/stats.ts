/** Order statistics shared by the worker (per-cell latency) and the driver (across reps). */
import type { LatencySummary } from './protocol.ts';

/** Nearest-rank percentile of already sorted values; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Median (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Rounds to the microsecond: finer digits of a millisecond figure are float noise here. */
export const roundUs = (ms: number): number => Math.round(ms * 1000) / 1000;

export function summarize(samples: readonly number[]): LatencySummary {
  const s = [...samples].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return { n: s.length, p50: roundUs(percentile(s, 50)), p99: roundUs(percentile(s, 99)), mean: s.length ? roundUs(sum / s.length) : NaN };
}

/** Mean of each of `parts` consecutive slices of `samples` (in the order they were taken). */
export function sliceMeans(samples: readonly number[], parts = 10): number[] {
  const out: number[] = [];
  for (let i = 0; i < parts; i++) {
    const slice = samples.slice(Math.floor((i * samples.length) / parts), Math.floor(((i + 1) * samples.length) / parts));
    out.push(slice.length ? roundUs(slice.reduce((a, b) => a + b, 0) / slice.length) : NaN);
  }
  return out;
}

/**
 * Smallest non-zero step of `performance.now()` seen in 20 ms of spinning, in ms: 0.1 ms in a
 * SharedWorker, 5 µs on a cross-origin isolated page (see docs/platform.md). Latencies finer than it are noise.
 */
export function timerStepMs(): number {
  let step = Infinity;
  let last = performance.now();
  const until = last + 20;
  while (last < until) {
    const t = performance.now();
    if (t > last) {
      step = Math.min(step, t - last);
      last = t;
    }
  }
  return Math.round(step * 1e6) / 1e6;
}
