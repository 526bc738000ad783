/**
 * `npm run bench`: the queue against the physical limit of IndexedDB, in real headless
 * Chromium on an on-disk profile (a Playwright `newContext()` keeps IndexedDB in memory and
 * would flatter every figure; see docs/platform.md).
 *
 * Node serves bench/index.html from a Vite dev server on a fixed 127.0.0.1 port; the page starts
 * bench/worker.ts as a module SharedWorker, where every measured line runs. Reps are
 * interleaved (rep → cell), the cell order rotates each rep, each cell gets a fresh database,
 * an untimed warm-up and a 100 ms settle pause. Each cell reports ops/s and p50/p99 latency;
 * the table shows medians over reps.
 *
 * Runtime cells (bench/runtime-cells.ts) run no-op step chains through `Runtime` in the same
 * worker: 100 runs × 10 steps at concurrency 16, 1 run × 200 steps at concurrency 1 (also with
 * a subscriber, as under serve()), and the first again beside --depth foreign far-future jobs
 * on the steps queue. They do a fixed amount
 * of work (not a timed window) and report steps/s and transition latency. The client cell
 * (bench/client-cells.ts) runs on the page: `connect()` to a `serve()` SharedWorker
 * (bench/app.worker.ts), sequential and burst submits, sequential `status` round trips. All
 * cells are interleaved and rotated together.
 *
 * Options: --reps N (5), --duration MS per cell (1500), --port P (4791, or BENCH_PORT),
 * --profile-cycles N (200, 0 to skip), --profile-steps N (transition profile, 300, 0 to skip),
 * --depth N (100000), --depth-fresh (prefill a fresh database every rep instead of once per run),
 * --client-burst N (1000: runs submitted all at once, the runs/s figure), --client-submits N (300 sequential submits: round trips),
 * --client-status N (1000),
 * --client-idle-submits N (300: sequential submits to a serve() worker with no executor),
 * --only cell,cell (a subset, for diagnosis; cell names as in the JSON). Chromium comes from CHROME_PATH or /usr/bin/chromium.
 */
import { execSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { chromiumPath } from '../src/testing/chromium-path.ts';
import { launchChromium } from '../src/testing/browser.ts';
import { startDevServer } from '../src/testing/server.ts';
import { within, writeResults } from './driver.ts';
import type {
  CellCommand,
  CellName,
  CellResult,
  ClientCellCommand,
  ClientCellResult,
  Command,
  HelloResult,
  ProfileResult,
  RuntimeCellCommand,
  RuntimeCellName,
  RuntimeCellResult,
  TransitionProfileResult,
} from './protocol.ts';
import {
  cellMedians,
  clientCellMedians,
  ratios,
  renderRuntimeText,
  renderText,
  runtimeCellMedians,
  runtimeRatios,
  type CellMedians,
  type CellSpec,
  type ClientCellMedians,
  type ClientCellSpec,
  type RuntimeCellMedians,
  type RuntimeCellSpec,
} from './report.ts';

const CELLS: CellSpec[] = [
  { cell: 'raw-put', lanes: 1, title: 'raw IDB: 1 put / txn', op: 'txn' },
  { cell: 'raw-batch100', lanes: 1, title: 'raw IDB: 100 puts / txn', op: 'txn' },
  { cell: 'raw-put-16lanes', lanes: 16, title: 'raw IDB: 1 put / txn, 16 lanes', op: 'txn' },
  { cell: 'raw-cycle', lanes: 1, title: 'raw replica of queue cycle (3 txns)', op: 'cycle' },
  { cell: 'raw-cycle-lean', lanes: 1, title: 'raw replica, reads issued together', op: 'cycle' },
  { cell: 'queue-lane1', lanes: 1, title: 'queue: enqueue→claim→ack, 1 lane', op: 'cycle' },
  { cell: 'queue-16lanes', lanes: 16, title: 'queue: enqueue→claim→ack, 16 lanes', op: 'cycle' },
  { cell: 'queue-chain-lane1', lanes: 1, title: 'queue: claim→ack+enqueue next, 1 lane', op: 'step' },
];

const { values: opts } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    duration: { type: 'string', default: '1500' },
    port: { type: 'string', default: process.env['BENCH_PORT'] ?? '4791' },
    'profile-cycles': { type: 'string', default: '200' },
    'profile-steps': { type: 'string', default: '300' },
    depth: { type: 'string', default: '100000' },
    'depth-fresh': { type: 'boolean', default: false },
    'client-submits': { type: 'string', default: '300' },
    'client-burst': { type: 'string', default: '1000' },
    'client-status': { type: 'string', default: '1000' },
    'client-idle-submits': { type: 'string', default: '300' },
    only: { type: 'string', default: '' },
  },
});
const DEPTH = Number(opts.depth);

// The depth cell right after its baseline: in most reps the two run back to back.
const RUNTIME_CELLS: RuntimeCellSpec[] = [
  { cell: 'rt-100x10', title: 'runtime: 100 runs × 10 no-op steps', runs: 100, stepsPerRun: 10, concurrency: 16, depth: 0, subscribed: false },
  { cell: 'rt-100x10-depth', title: `runtime: 100 × 10, ${DEPTH.toLocaleString('en-US')} future jobs`, runs: 100, stepsPerRun: 10, concurrency: 16, depth: DEPTH, subscribed: false },
  { cell: 'rt-1x200', title: 'runtime: 1 run × 200 no-op steps', runs: 1, stepsPerRun: 200, concurrency: 1, depth: 0, subscribed: false },
  { cell: 'rt-1x200-sub', title: 'runtime: 1 × 200, subscribed (as serve())', runs: 1, stepsPerRun: 200, concurrency: 1, depth: 0, subscribed: true },
  { cell: 'rt-1x200-fn', title: 'runtime: 1 × 200, a workflow() function (200 run.step)', runs: 1, stepsPerRun: 200, concurrency: 1, depth: 0, subscribed: false, functions: true },
];
const CLIENT_CELLS: ClientCellSpec[] = [{ cell: 'client-submit', title: 'client: page → serve() SharedWorker via connect()' }];

type Entry = { kind: 'cell'; name: CellName; spec: CellSpec } | { kind: 'runtime'; name: RuntimeCellName; spec: RuntimeCellSpec } | { kind: 'client'; name: string; spec: ClientCellSpec };
const ALL: Entry[] = [
  ...CELLS.map((spec): Entry => ({ kind: 'cell', name: spec.cell, spec })),
  ...RUNTIME_CELLS.map((spec): Entry => ({ kind: 'runtime', name: spec.cell, spec })),
  ...CLIENT_CELLS.map((spec): Entry => ({ kind: 'client', name: spec.cell, spec })),
];
const only = opts.only ? opts.only.split(',') : undefined;
const unknown = only?.filter((n) => !ALL.some((e) => e.name === n)) ?? [];
if (unknown.length > 0) throw new Error(`--only: unknown cell(s) ${unknown.join(', ')}; known: ${ALL.map((e) => e.name).join(', ')}`);
const ENTRIES = only ? ALL.filter((e) => only.includes(e.name)) : ALL;
const SELECTED = ENTRIES.flatMap((e) => (e.kind === 'cell' ? [e.spec] : []));
const SELECTED_RT = ENTRIES.flatMap((e) => (e.kind === 'runtime' ? [e.spec] : []));
const SELECTED_CLIENT = ENTRIES.flatMap((e) => (e.kind === 'client' ? [e.spec] : []));
const REPS = Number(opts.reps);
const DURATION_MS = Number(opts.duration);
const PORT = Number(opts.port);
const PROFILE_CYCLES = Number(opts['profile-cycles']);
const PROFILE_STEPS = Number(opts['profile-steps']);
const COMMAND_TIMEOUT_MS = 180_000;
const repoRoot = resolve(import.meta.dirname, '..');

/** Filesystem magic numbers (statfs f_type) worth naming: a tmpfs profile would flatter the numbers like an in-memory one. */
const FS_TYPES: Record<number, string> = { 0xef53: 'ext2/3/4', 0x01021994: 'tmpfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs' };

function call<T>(page: Page, cmd: Command): Promise<T> {
  return within(page.evaluate((c) => window.stepwiseBench!.run(c), cmd), COMMAND_TIMEOUT_MS, cmd) as Promise<T>;
}

function git(args: string): string {
  try {
    return execSync(`git ${args}`, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const loadBefore = loadavg()[0] ?? NaN;
  const server = await startDevServer({ port: PORT, root: repoRoot });
  const session = await launchChromium({ headless: true });
  try {
    const page = await session.newPage();
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
    page.on('console', (m) => {
      // The dev server runs without an HMR socket, and Vite's injected client says so; ignore that.
      if (m.type() === 'error' && !/websocket|\[vite\]/i.test(m.text())) process.stderr.write(`[page console] ${m.text()}\n`);
    });
    await page.goto(`${server.origin}/bench/index.html`);
    await page.waitForFunction(() => window.stepwiseBench !== undefined, undefined, { timeout: 30_000 });
    const hello = await call<HelloResult>(page, { kind: 'hello' });
    const fsType = statfsSync(session.profileDir).type;

    const results = new Map<CellName, CellResult[]>(SELECTED.map((c) => [c.cell, []]));
    const rtResults = new Map<RuntimeCellName, RuntimeCellResult[]>(SELECTED_RT.map((c) => [c.cell, []]));
    const clientResults = new Map<string, ClientCellResult[]>(SELECTED_CLIENT.map((c) => [c.cell, []]));
    const wall = new Map<string, number[]>(ENTRIES.map((e) => [e.name, []]));
    const total = REPS * ENTRIES.length;
    let done = 0;
    for (let rep = 0; rep < REPS; rep++) {
      const order = [...ENTRIES.slice(rep % ENTRIES.length), ...ENTRIES.slice(0, rep % ENTRIES.length)];
      for (const entry of order) {
        let shown: string;
        const cellStart = Date.now();
        if (entry.kind === 'cell') {
          const spec = entry.spec;
          const cmd: CellCommand = {
            kind: 'cell',
            cell: spec.cell,
            durationMs: DURATION_MS,
            maxOps: 1_000_000,
            warmupOps: 30,
            settleMs: 100,
            lanes: spec.lanes,
          };
          const r = await call<CellResult>(page, cmd);
          results.get(spec.cell)!.push(r);
          shown = `${Math.round(r.opsPerSec)} ops/s`;
        } else if (entry.kind === 'runtime') {
          const spec = entry.spec;
          const cmd: RuntimeCellCommand = {
            kind: 'runtime',
            cell: spec.cell,
            runs: spec.runs,
            stepsPerRun: spec.stepsPerRun,
            concurrency: spec.concurrency,
            subscribed: spec.subscribed,
            functions: spec.functions === true,
            depth: spec.depth,
            depthBatch: 5000,
            freshDepth: opts['depth-fresh'],
            // After a 100k bulk insert LevelDB has compaction to do; a queue that deep would have had the time.
            postPrefillSettleMs: 3000,
            warmupRuns: Math.max(4, spec.concurrency),
            warmupSteps: 8,
            settleMs: 100,
          };
          const r = await call<RuntimeCellResult>(page, cmd);
          rtResults.get(spec.cell)!.push(r);
          shown = `${Math.round(r.stepsPerSec)} steps/s, transition p50 ${r.transition.p50.toFixed(2)} ms`;
        } else {
          const cmd: ClientCellCommand = {
            kind: 'client',
            cell: 'client-submit',
            submits: Number(opts['client-submits']),
            statusCalls: Number(opts['client-status']),
            burst: Number(opts['client-burst']),
            idleSubmits: Number(opts['client-idle-submits']),
            warmupCalls: 50,
            settleMs: 100,
          };
          const r = await call<ClientCellResult>(page, cmd);
          clientResults.get(entry.spec.cell)!.push(r);
          shown = `${Math.round(r.submitSequential.runsPerSec)} submits/s, burst ${Math.round(r.burst.runsPerSec)} runs/s`;
        }
        wall.get(entry.name)!.push(Date.now() - cellStart);
        done++;
        process.stderr.write(`\r[bench] ${done}/${total}  rep ${rep + 1}/${REPS}  ${entry.name.padEnd(17)} ${shown}          `);
      }
    }
    process.stderr.write('\n');
    const profile = PROFILE_CYCLES > 0 && SELECTED.length > 0 ? await call<ProfileResult>(page, { kind: 'profile', cycles: PROFILE_CYCLES }) : undefined;
    const transitionProfile =
      PROFILE_STEPS > 0 && SELECTED_RT.length > 0 ? await call<TransitionProfileResult>(page, { kind: 'transition-profile', steps: PROFILE_STEPS }) : undefined;

    const medians: Partial<Record<CellName, CellMedians>> = {};
    for (const spec of SELECTED) medians[spec.cell] = cellMedians(spec, results.get(spec.cell)!);
    const rtMedians: Partial<Record<RuntimeCellName, RuntimeCellMedians>> = {};
    for (const spec of SELECTED_RT) rtMedians[spec.cell] = runtimeCellMedians(spec, rtResults.get(spec.cell)!);
    const clientMedians: Record<string, ClientCellMedians> = {};
    for (const spec of SELECTED_CLIENT) clientMedians[spec.cell] = clientCellMedians(spec, clientResults.get(spec.cell)!);
    const r = ratios(medians);
    const rr = runtimeRatios(medians['raw-put'], rtMedians, Object.fromEntries(rtResults), clientMedians['client-submit']);
    const output = {
      meta: {
        startedAt: started.toISOString(),
        wallMs: Date.now() - started.getTime(),
        chromium: { path: chromiumPath(), version: page.context().browser()?.version() ?? null, userAgent: hello.userAgent },
        worker: { kind: 'module SharedWorker', crossOriginIsolated: hello.crossOriginIsolated, timerStepMs: hello.timerStepMs },
        profile: { dir: session.profileDir, onDisk: true, fsType: FS_TYPES[fsType] ?? `0x${fsType.toString(16)}` },
        origin: server.origin,
        node: process.version,
        cpus: cpus().length,
        // Other work on the machine skews every cell: a 1-minute load well above the core count means a noisy run.
        loadAverage1m: { before: loadBefore, after: loadavg()[0] ?? NaN },
        hardwareConcurrency: hello.hardwareConcurrency,
        /** Wall ms each cell took per rep (setup, warm-up and checks included), in rep order. */
        cellWallMs: Object.fromEntries(wall),
        git: { commit: git('rev-parse HEAD'), dirty: git("status --porcelain -- . ':!BENCHMARKS.md'").length > 0 },
        config: {
          reps: REPS,
          durationMs: DURATION_MS,
          warmupOps: 30,
          settleMs: 100,
          order: 'rep → cell, rotated each rep',
          depth: DEPTH,
          client: {
            submits: Number(opts['client-submits']),
            burst: Number(opts['client-burst']),
            statusCalls: Number(opts['client-status']),
            idleSubmits: Number(opts['client-idle-submits']),
          },
          only: only ?? null,
        },
        notes: [
          'raw cells use durability "default"; the queue store uses "relaxed" (equal in Chromium, see docs/platform.md)',
          'SharedWorker timer step is 0.1 ms: p50/p99 are quantised, means are not',
          'every cell opens a fresh database (deleted after the cell, untimed), except the client cell: one serve() worker and database for the whole run',
          'runtime cells: all runs submitted (concurrently, strict) before start(); steps/s = steps / (start() → every run terminal); "from submit" includes the submissions',
          'runtime cells: transition = runner return → next step of the same run entering its runner; at concurrency 16 with 100 runs it includes waiting for a slot',
          'runtime cells: no subscriber (a bare Runtime), except rt-1x200-sub: serve() always subscribes, and a subscribed runtime builds each settled run\'s status inside the settlement',
          opts['depth-fresh']
            ? 'depth cell: foreign jobs prefilled (untimed, 5,000 per enqueueBatch) into a fresh database every rep, then a 3 s settle'
            : 'depth cell: foreign jobs prefilled (untimed, 5,000 per enqueueBatch) once per bench run, in its first rep, then a 3 s settle; later reps reuse that database (runs of earlier reps stay in it)',
          'client cell: the serve() worker runs with pollIntervalMs/reapIntervalMs = 1 h so it stays quiet between cells (a local submit wakes its executor anyway)',
        ],
      },
      cells: Object.fromEntries([
        ...SELECTED.map((c) => [c.cell, { median: medians[c.cell], reps: results.get(c.cell) }]),
        ...SELECTED_RT.map((c) => [c.cell, { median: rtMedians[c.cell], reps: rtResults.get(c.cell) }]),
        ...SELECTED_CLIENT.map((c) => [c.cell, { median: clientMedians[c.cell], reps: clientResults.get(c.cell) }]),
      ]),
      ratios: r,
      runtimeRatios: rr,
      profile,
      transitionProfile,
    };
    const file = writeResults('results', started, output);
    console.log(JSON.stringify(output));
    console.log('');
    const load = output.meta.loadAverage1m;
    console.log(
      `Stepwise bench: ${output.meta.chromium.version ?? 'chromium'}, ${REPS} reps × ${DURATION_MS} ms, profile on ${output.meta.profile.fsType}, worker timer step ${hello.timerStepMs} ms, load ${load.before.toFixed(1)} → ${load.after.toFixed(1)} on ${output.meta.cpus} cores`,
    );
    if (Math.max(load.before, load.after) > output.meta.cpus) console.log('warning: the machine was busy during this run; compare figures with care');
    if (SELECTED.length > 0) console.log(renderText(medians, r, profile));
    if (SELECTED_RT.length + SELECTED_CLIENT.length > 0) {
      console.log('');
      console.log(renderRuntimeText(medians['raw-put'], rtMedians, clientMedians['client-submit'], rr, transitionProfile));
    }
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
