/**
 * Waiting for a quiet machine before a rep (Node, Linux): the resume figures are start-up
 * latencies on 2 cores, and another process compiling or benchmarking at the same time can
 * double them. Reads /proc/stat twice, `sampleMs` apart, while this benchmark
 * is idle between reps: the busy share is the rest of the machine's. Elsewhere it never waits.
 */
import { readFileSync } from 'node:fs';

function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const xs = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (xs[3] ?? 0) + (xs[4] ?? 0); // idle + iowait
    const total = xs.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** The machine's busy share (0–1) over the next `sampleMs`; NaN where /proc/stat is missing. */
export async function busyShare(sampleMs = 500): Promise<number> {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, sampleMs));
  const b = cpuTimes();
  if (!a || !b || b.total === a.total) return NaN;
  return (b.busy - a.busy) / (b.total - a.total);
}

/**
 * Waits until the busy share drops to `maxBusy` or below, at most `maxWaitMs`.
 * @returns the last busy share seen (the rep runs anyway after the wait)
 */
export async function waitForQuiet(maxBusy: number, maxWaitMs: number): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const busy = await busyShare();
    if (!(busy > maxBusy) || Date.now() >= deadline) return busy;
  }
}
