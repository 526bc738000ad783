/**
 * `npx tsx bench/heap.ts`: does the serve() worker's JS heap stay flat as runs finish? A
 * long-lived SharedWorker (extendedLifetime, a tab left open for days) must not keep something
 * per finished run in memory: the target is ≤ 5 MB growth over 10,000 runs.
 *
 * Real headless Chromium on an on-disk profile (src/testing/browser.ts), the page from a Vite
 * dev server on a fixed port (bench/heap.html → heap.page.ts), the worker bench/heap.worker.ts
 * (serve(), one no-op workflow of two steps, default options). The page submits runs in
 * batches through connect() and waits for each batch to end. After a warm-up (--warmup runs),
 * a DevTools session attaches to the shared_worker target (bench/worker-cdp.ts) and reads
 * `Runtime.getHeapUsage` after `HeapProfiler.collectGarbage`, at the start, every --every runs
 * and at the end; the page's heap is read the same way. Unless --no-snapshots, heap snapshots
 * of both before and after are summarized by constructor (bench/heap-snapshot.ts) and diffed:
 * what grew, if anything did.
 *
 * Options: --runs N (10000), --batch N (500), --warmup N (200), --every N (2000), --port P
 * (4796), --watch none|one|all (none: the page also keeps a watch() open), --no-snapshots.
 * Output: .bench/heap-<iso>.json (printed) and a table.
 */
import { resolve } from 'node:path';
import { writeResults } from './driver.ts';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium } from '../src/testing/browser.ts';
import { startDevServer } from '../src/testing/server.ts';
import { diff, snapshotSummary, type SnapshotTarget } from './heap-snapshot.ts';
import { attachSharedWorker, type WorkerSession } from './worker-cdp.ts';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '500' },
    warmup: { type: 'string', default: '200' },
    every: { type: 'string', default: '2000' },
    port: { type: 'string', default: '4796' },
    watch: { type: 'string', default: 'none' },
    'no-snapshots': { type: 'boolean', default: false },
  },
});
const RUNS = Number(opts.runs);
const BATCH = Number(opts.batch);
const WARMUP = Number(opts.warmup);
const EVERY = Number(opts.every);
const TARGET_BYTES = 5 * 1024 * 1024;
const repoRoot = resolve(import.meta.dirname, '..');

interface HeapUsage { usedSize: number; totalSize: number }
interface Point { runs: number; worker: HeapUsage; page: HeapUsage; atMs: number }
type Send = <T>(method: string) => Promise<T>;

/** Two full GCs (the second collects what the first's finalizers freed), then the heap in use. */
async function heapAfterGc(send: Send): Promise<HeapUsage> {
  await send('HeapProfiler.collectGarbage');
  await send('HeapProfiler.collectGarbage');
  const { usedSize, totalSize } = await send<HeapUsage>('Runtime.getHeapUsage');
  return { usedSize, totalSize };
}

async function batches(page: Page, n: number): Promise<{ succeeded: number; ms: number }> {
  let succeeded = 0;
  let ms = 0;
  for (let done = 0; done < n; done += BATCH) {
    const r = await page.evaluate((k) => window.stepwiseHeap!.batch(k), Math.min(BATCH, n - done));
    succeeded += r.succeeded;
    ms += r.ms;
  }
  return { succeeded, ms };
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;

async function main(): Promise<void> {
  const started = new Date();
  const server = await startDevServer({ port: Number(opts.port), root: repoRoot });
  const session = await launchChromium({ headless: true });
  let worker: WorkerSession | undefined;
  try {
    const page = await session.newPage();
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
    const db = `bench-heap-${Date.now().toString(36)}`;
    await page.goto(`${server.origin}/bench/heap.html?db=${db}&watch=${opts.watch}`);
    await page.waitForFunction(() => window.stepwiseHeap !== undefined, undefined, { timeout: 30_000 });
    const warm = await batches(page, WARMUP);
    const browser = session.context.browser();
    if (!browser) throw new Error('no Browser behind the session context');
    worker = await attachSharedWorker(browser, 'heap.worker');
    const w = worker;
    const pageCdp = await session.context.newCDPSession(page);
    const pageTarget: SnapshotTarget = {
      send: (m, params) => pageCdp.send(m as 'HeapProfiler.takeHeapSnapshot', params),
      on: (m, l) => {
        pageCdp.on(m as 'HeapProfiler.addHeapSnapshotChunk', l);
        return () => void pageCdp.off(m as 'HeapProfiler.addHeapSnapshotChunk', l);
      },
    };
    const sendPage: Send = <T>(m: string) => pageTarget.send(m) as Promise<T>;
    const sendWorker: Send = <T>(m: string) => w.send<T>(m);
    const t0 = Date.now();
    const point = async (runs: number): Promise<Point> => ({ runs, worker: await heapAfterGc(sendWorker), page: await heapAfterGc(sendPage), atMs: Date.now() - t0 });
    const snapshots = !opts['no-snapshots'];
    const snapBefore = snapshots ? { worker: await snapshotSummary(w), page: await snapshotSummary(pageTarget) } : undefined;
    const curve: Point[] = [await point(0)];
    let succeeded = 0;
    let runMs = 0;
    for (let done = 0; done < RUNS; ) {
      const n = Math.min(EVERY, RUNS - done);
      const r = await batches(page, n);
      done += n;
      succeeded += r.succeeded;
      runMs += r.ms;
      curve.push(await point(done));
      const last = curve.at(-1)!;
      process.stderr.write(`\r[heap] ${done}/${RUNS} runs  worker ${mb(last.worker.usedSize)}  page ${mb(last.page.usedSize)}    `);
    }
    process.stderr.write('\n');
    const snapAfter = snapshots ? { worker: await snapshotSummary(w), page: await snapshotSummary(pageTarget) } : undefined;
    const first = curve[0]!;
    const last = curve.at(-1)!;
    const growth = last.worker.usedSize - first.worker.usedSize;
    const output = {
      meta: {
        startedAt: started.toISOString(),
        wallMs: Date.now() - started.getTime(),
        chromium: browser.version(),
        workerUrl: w.url,
        config: { runs: RUNS, batch: BATCH, warmup: WARMUP, every: EVERY, watch: opts.watch, workflow: '2 no-op steps, concurrency 16, default options' },
        notes: [
          'heap = Runtime.getHeapUsage().usedSize after two HeapProfiler.collectGarbage, over a DevTools session attached to the shared_worker target (non-flat)',
          'the DevTools session stays attached from the first measurement on: it keeps the worker alive (an attached worker outlives its last client), harmless without reloads',
          'runs stay in IndexedDB (keepDoneRunsMs default 7 days): the database grows, the heap should not',
        ],
      },
      warmup: { runs: WARMUP, succeeded: warm.succeeded },
      runs: { n: RUNS, succeeded, runsPerSec: RUNS / (runMs / 1000) },
      worker: { beforeBytes: first.worker.usedSize, afterBytes: last.worker.usedSize, growthBytes: growth, targetBytes: TARGET_BYTES, withinTarget: growth <= TARGET_BYTES, perRunBytes: growth / RUNS },
      page: { beforeBytes: first.page.usedSize, afterBytes: last.page.usedSize, growthBytes: last.page.usedSize - first.page.usedSize },
      curve,
      snapshotDiff: snapBefore && snapAfter ? { worker: diff(snapBefore.worker, snapAfter.worker), page: diff(snapBefore.page, snapAfter.page) } : undefined,
    };
    const file = writeResults('heap', started, output);
    console.log(JSON.stringify(output));
    console.log(`\nStepwise worker heap: ${browser.version()}, ${RUNS} runs of 2 no-op steps in batches of ${BATCH} (${Math.round(output.runs.runsPerSec)} runs/s), watch=${opts.watch}\n`);
    console.log(`${'runs'.padStart(7)}${'worker used'.padStart(14)}${'page used'.padStart(14)}`);
    for (const p of curve) console.log(`${String(p.runs).padStart(7)}${mb(p.worker.usedSize).padStart(14)}${mb(p.page.usedSize).padStart(14)}`);
    console.log(`\nworker growth: ${mb(growth)} (${Math.round(growth / RUNS)} B/run), target ≤ ${mb(TARGET_BYTES)}: ${growth <= TARGET_BYTES ? 'ok' : 'OVER'}; page growth ${mb(output.page.growthBytes)}`);
    for (const [side, rows] of Object.entries(output.snapshotDiff ?? {})) {
      console.log(`\n${side} heap snapshot, after − before (top by self size): count, bytes`);
      for (const d of rows.slice(0, 12)) console.log(`  ${d.key.slice(0, 60).padEnd(62)}${String(d.countDelta).padStart(8)}${String(d.bytesDelta).padStart(11)} B`);
    }
    console.log(`\nwritten: ${file}`);
  } finally {
    await worker?.detach();
    await session.close();
    await server.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
