/**
 * `npx tsx bench/peers.ts`: Stepwise against the peers a user would pick instead, on the same
 * workloads, in the same headless Chromium on an on-disk profile, beside the raw IndexedDB
 * single-put rate of the same run (so every figure is also a ratio to the physical limit):
 *
 * - `@coji/durably` (SQLite WASM on OPFS via SQLocal; needs cross-origin isolation, hence the
 *   COOP/COEP headers) as a step runtime: 100 runs × 10 no-op steps at concurrency 16 and
 *   1 run × 200 no-op steps at concurrency 1 (bench/peers/durably-cell.ts says what that maps to);
 * - Stepwise's `Runtime` on the same two workloads, on the same page (bench/runtime-cells.ts);
 * - workbox-background-sync's `Queue` pushRequest→shiftRequest cycles, 1 lane, in a service
 *   worker (bench/peers/workbox-sw.ts), with and without Background Sync registration, against
 *   Stepwise's `Queue` enqueue→claim→ack cycle (bench/queue-cells.ts) and a raw 1-put transaction.
 *
 * Reps are interleaved (rep → cell), the cell order rotates each rep; figures are medians over
 * reps. A cell that throws is recorded as `{ error }` and not retried.
 * Options: --reps N (5), --duration MS per timed-window cell (1500), --port P (4793),
 * --only cell,cell (a subset, for diagnosis; raw-put always runs), --durably-timing defaults|docs
 * (see DURABLY_TIMINGS).
 * Writes .bench/peers-<iso>.json, prints it, then a table.
 */
import { execSync } from 'node:child_process';
import { readFileSync, statfsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium } from '../src/testing/browser.ts';
import { chromiumPath } from '../src/testing/chromium-path.ts';
import { startDevServer } from '../src/testing/server.ts';
import { within, writeResults } from './driver.ts';
import type { HelloResult, LoopCellName, LoopResult, PeerCellName, PeerCommand, StepsCellName, StepsResult } from './peers/protocol.ts';
import { DOCS_BROWSER_TIMING } from './peers/durably-timing.ts';
import { renderTable } from './peers/report.ts';
import { summarizePeers } from './peers/summary.ts';

const { values: opts } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    duration: { type: 'string', default: '1500' },
    port: { type: 'string', default: '4793' },
    only: { type: 'string', default: '' },
    'durably-timing': { type: 'string', default: 'defaults' },
  },
});
const REPS = Number(opts.reps);
const DURATION_MS = Number(opts.duration);
const PORT = Number(opts.port);
const COMMAND_TIMEOUT_MS = 180_000;
const repoRoot = resolve(import.meta.dirname, '..');
const HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
/**
 * durably's worker timing. `defaults`: its library defaults for leases (renew 5 s, lease 30 s),
 * polling 100 ms. `docs`: its docs' browser example (renew 500 ms, lease 3 s, polling 100 ms):
 * measured here it halves 100×10 (~13 vs ~25 steps/s: sixteen runs renewing every 500 ms take a
 * large share of SQLite's ~60–80 commits/s) and in 2 of 6 reps one step body ran twice (a lease
 * expired, presumably), so it is not the default. Polling only matters while idle.
 */
const DURABLY_TIMINGS = {
  defaults: { pollingIntervalMs: 100, leaseRenewIntervalMs: 5000, leaseMs: 30_000 },
  docs: DOCS_BROWSER_TIMING,
};
if (opts['durably-timing'] !== 'defaults' && opts['durably-timing'] !== 'docs') throw new Error('--durably-timing: defaults or docs');
const DURABLY_TIMING = DURABLY_TIMINGS[opts['durably-timing']];
const FS_TYPES: Record<number, string> = { 0xef53: 'ext2/3/4', 0x01021994: 'tmpfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs' };

const LOOP_CELLS: LoopCellName[] = ['raw-put', 'raw-put-sw', 'sqlocal-insert', 'stepwise-queue', 'workbox-queue', 'workbox-queue-nosync'];
const STEPS: Record<StepsCellName, { runs: number; stepsPerRun: number; concurrency: number }> = {
  'durably-100x10': { runs: 100, stepsPerRun: 10, concurrency: 16 },
  'durably-1x200': { runs: 1, stepsPerRun: 200, concurrency: 1 },
  'stepwise-100x10': { runs: 100, stepsPerRun: 10, concurrency: 16 },
  'stepwise-1x200': { runs: 1, stepsPerRun: 200, concurrency: 1 },
};
const ALL_CELLS: PeerCellName[] = [...LOOP_CELLS, ...(Object.keys(STEPS) as StepsCellName[])];
const ONLY = opts.only ? opts.only.split(',') : undefined;
const unknownCells = ONLY?.filter((c) => !(ALL_CELLS as string[]).includes(c)) ?? [];
if (unknownCells.length > 0) throw new Error(`--only: unknown cell(s) ${unknownCells.join(', ')}; known: ${ALL_CELLS.join(', ')}`);
/** raw-put is always measured: every figure is reported against it. */
const CELLS = ONLY ? ALL_CELLS.filter((c) => c === 'raw-put' || ONLY.includes(c)) : ALL_CELLS;

function command(cell: PeerCellName): PeerCommand {
  if ((LOOP_CELLS as string[]).includes(cell)) return { kind: 'loop', cell: cell as LoopCellName, durationMs: DURATION_MS, warmupOps: 30, settleMs: 100 };
  const s = STEPS[cell as StepsCellName];
  const durably = cell.startsWith('durably') ? { durably: DURABLY_TIMING } : {};
  return { kind: 'steps', cell: cell as StepsCellName, ...s, ...durably, warmupRuns: Math.max(4, s.concurrency), warmupSteps: 8, settleMs: 100 };
}

function call<T>(page: Page, cmd: PeerCommand): Promise<T> {
  return within(page.evaluate((c) => window.peersBench!.run(c), cmd), COMMAND_TIMEOUT_MS, cmd) as Promise<T>;
}

function version(pkg: string): string {
  const json = JSON.parse(readFileSync(join(repoRoot, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string };
  return json.version;
}

/** Stepwise is measured from the working tree: record which commit, and whether it had local edits. */
function git(args: string): string {
  try {
    return execSync(`git ${args}`, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Runs every cell REPS times, interleaved and rotated; a cell that throws is dropped from later reps. */
async function measure(page: Page) {
  const results = new Map<PeerCellName, (LoopResult | StepsResult)[]>(CELLS.map((c) => [c, []]));
  const errors = new Map<PeerCellName, string>(ALL_CELLS.filter((c) => !CELLS.includes(c)).map((c) => [c, 'not run (--only)']));
  for (let rep = 0; rep < REPS; rep++) {
    const order = [...CELLS.slice(rep % CELLS.length), ...CELLS.slice(0, rep % CELLS.length)];
    for (const cell of order) {
      if (errors.has(cell)) continue;
      try {
        const r = await call<LoopResult | StepsResult>(page, command(cell));
        results.get(cell)!.push(r);
        const shown = 'opsPerSec' in r ? `${Math.round(r.opsPerSec)} ops/s` : `${Math.round(r.stepsPerSec)} steps/s`;
        process.stderr.write(`[peers] rep ${rep + 1}/${REPS}  ${cell.padEnd(21)} ${shown}\n`);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        errors.set(cell, message);
        process.stderr.write(`[peers] rep ${rep + 1}/${REPS}  ${cell.padEnd(21)} FAILED: ${message.split('\n')[0]}\n`);
      }
    }
  }
  return { results, errors };
}

async function main(): Promise<void> {
  const started = new Date();
  const loadBefore = loadavg()[0] ?? NaN;
  const server = await startDevServer({ port: PORT, root: repoRoot, headers: HEADERS });
  const session = await launchChromium({ headless: true });
  try {
    const page = await session.newPage();
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
    page.on('console', (m) => {
      if ((m.type() === 'error' || m.type() === 'warning') && !/websocket|\[vite\]/i.test(m.text())) process.stderr.write(`[page ${m.type()}] ${m.text()}\n`);
    });
    await page.goto(`${server.origin}/bench/peers/index.html`);
    await page.waitForFunction(() => window.peersBench !== undefined, undefined, { timeout: 30_000 });
    const hello = await call<HelloResult>(page, { kind: 'hello' });
    const { results, errors } = await measure(page);

    const { sections, rows, rawPutPerSec } = summarizePeers(results, errors, { preset: opts['durably-timing'], ...DURABLY_TIMING });
    const fsType = statfsSync(session.profileDir).type;

    const output = {
      meta: {
        startedAt: started.toISOString(),
        wallMs: Date.now() - started.getTime(),
        chromium: { path: chromiumPath(), version: page.context().browser()?.version() ?? null, userAgent: hello.page.userAgent },
        reps: REPS,
        durationMs: DURATION_MS,
        crossOriginIsolated: hello.page.crossOriginIsolated,
        page: hello.page,
        serviceWorker: hello.serviceWorker,
        headers: HEADERS,
        profile: { dir: session.profileDir, onDisk: true, fsType: FS_TYPES[fsType] ?? `0x${fsType.toString(16)}` },
        origin: server.origin,
        git: { commit: git('rev-parse HEAD'), dirty: git("status --porcelain -- . ':!BENCHMARKS.md'").length > 0 },
        node: process.version,
        cpus: cpus().length,
        loadAverage1m: { before: loadBefore, after: loadavg()[0] ?? NaN },
        packages: Object.fromEntries(['@coji/durably', 'sqlocal', '@sqlite.org/sqlite-wasm', 'kysely', 'zod', 'workbox-background-sync', 'idb', 'dexie'].map((p) => [p, version(p)])),
        order: 'rep → cell, rotated each rep; figures are medians over reps',
        notes: [
          'raw put, Stepwise and durably run on the page (cross-origin isolated); workbox runs in a module service worker (Queue needs self.registration), beside a second raw put cell (raw-put-sw) in that worker',
          'steps cells: all runs submitted (concurrently) before the executor starts; steps/s = steps / (start → every run terminal → executor stopped); untimed warm-up of max(4, concurrency) runs × 8 steps first, on the same instance',
          'steps cells: per-step latency = transition: a step body returning → the next step body of the same run entering; durably stepCall = step.run() called → resolved',
          `durably: one job, S sequential step.run(\`s<i>\`, noop) calls; maxConcurrentRuns = concurrency; timing ${opts['durably-timing']} = ${JSON.stringify(DURABLY_TIMING)}; SQLocalKysely on OPFS ("opfs" VFS), a fresh database file per cell`,
          'sqlocal-insert: one INSERT per autocommit transaction through SQLocal on OPFS: the floor of durably\'s storage, as raw put is Stepwise\'s',
          'workbox: one cycle = pushRequest(POST Request, ~200-byte JSON body) → shiftRequest(); onSync is a no-op; "default" registers a Background Sync tag on every push (the SyncManager exists here), "forceSyncFallback" does not',
          'Stepwise queue: one cycle = enqueue → claim → ack (3 readwrite transactions); workbox: push (1 readwrite) → shift (1 readonly cursor + 1 readwrite delete, not atomic: two consumers can shift the same entry)',
          'rate ratios: ops/s or steps/s ÷ raw 1-put transactions/s of the same run; p50 ratios: a cycle or a transition ÷ one raw put transaction',
        ],
      },
      ...sections,
      reps: Object.fromEntries(results),
    };
    const file = writeResults('peers', started, output);
    console.log(JSON.stringify(output));
    console.log('');
    console.log(`Peers: ${output.meta.chromium.version ?? 'chromium'}, ${REPS} reps, page crossOriginIsolated=${hello.page.crossOriginIsolated}, profile on ${output.meta.profile.fsType}, load ${loadBefore.toFixed(1)} → ${output.meta.loadAverage1m.after.toFixed(1)} on ${cpus().length} cores`);
    console.log(renderTable(rows, rawPutPerSec));
    console.log(`\nwritten: ${file}  (${((Date.now() - started.getTime()) / 1000).toFixed(1)} s)`);
  } finally {
    await session.close();
    await server.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
