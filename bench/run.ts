/**
 * `npm run bench`: the queue against the physical limit of IndexedDB, in real headless
 * Chromium on an on-disk profile (PLATFORM.md G2: a Playwright `newContext()` keeps IndexedDB in
 * memory and would flatter every figure).
 *
 * Node serves bench/index.html from a Vite dev server on a fixed 127.0.0.1 port; the page starts
 * bench/worker.ts as a module SharedWorker, where every measured line runs. Reps are
 * interleaved (rep → cell), the cell order rotates each rep, each cell gets a fresh database,
 * an untimed warm-up and a 100 ms settle pause. Each cell reports ops/s and p50/p99 latency;
 * the table shows medians over reps.
 *
 * Options: --reps N (5), --duration MS per cell (1500), --port P (4791, or BENCH_PORT),
 * --profile-cycles N (200, 0 to skip), --only cell,cell (a subset, for diagnosis). Chromium comes from CHROME_PATH or /usr/bin/chromium.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { chromiumPath } from '../src/testing/chromium-path.ts';
import { launchChromium } from '../src/testing/browser.ts';
import { startDevServer } from '../src/testing/server.ts';
import type { CellCommand, CellName, CellResult, Command, HelloResult, ProfileResult } from './protocol.ts';
import { cellMedians, ratios, renderText, type CellMedians, type CellSpec } from './report.ts';

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
    only: { type: 'string', default: '' },
  },
});
const SELECTED = opts.only ? CELLS.filter((c) => opts.only.split(',').includes(c.cell)) : CELLS;
const REPS = Number(opts.reps);
const DURATION_MS = Number(opts.duration);
const PORT = Number(opts.port);
const PROFILE_CYCLES = Number(opts['profile-cycles']);
const COMMAND_TIMEOUT_MS = 60_000;
const repoRoot = resolve(import.meta.dirname, '..');

/** Filesystem magic numbers (statfs f_type) worth naming: a tmpfs profile would flatter the numbers like an in-memory one. */
const FS_TYPES: Record<number, string> = { 0xef53: 'ext2/3/4', 0x01021994: 'tmpfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs' };

async function call<T>(page: Page, cmd: Command): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply to ${JSON.stringify(cmd)} within ${COMMAND_TIMEOUT_MS} ms`)), COMMAND_TIMEOUT_MS);
  });
  try {
    return (await Promise.race([page.evaluate((c) => window.stepwiseBench!.run(c), cmd), timeout])) as T;
  } finally {
    clearTimeout(timer);
  }
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
    const total = REPS * SELECTED.length;
    let done = 0;
    for (let rep = 0; rep < REPS; rep++) {
      const order = [...SELECTED.slice(rep % SELECTED.length), ...SELECTED.slice(0, rep % SELECTED.length)];
      for (const spec of order) {
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
        done++;
        process.stderr.write(`\r[bench] ${done}/${total}  rep ${rep + 1}/${REPS}  ${spec.cell.padEnd(16)} ${Math.round(r.opsPerSec)} ops/s   `);
      }
    }
    process.stderr.write('\n');
    const profile = PROFILE_CYCLES > 0 ? await call<ProfileResult>(page, { kind: 'profile', cycles: PROFILE_CYCLES }) : undefined;

    const medians: Partial<Record<CellName, CellMedians>> = {};
    for (const spec of SELECTED) medians[spec.cell] = cellMedians(spec, results.get(spec.cell)!);
    const r = ratios(medians);
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
        // Other work on the machine skews every cell (G9): a 1-minute load well above the core count means a noisy run.
        loadAverage1m: { before: loadBefore, after: loadavg()[0] ?? NaN },
        hardwareConcurrency: hello.hardwareConcurrency,
        git: { commit: git('rev-parse HEAD'), dirty: git('status --porcelain').length > 0 },
        config: { reps: REPS, durationMs: DURATION_MS, warmupOps: 30, settleMs: 100, order: 'rep → cell, rotated each rep' },
        notes: [
          'raw cells use durability "default"; the queue store uses "relaxed" (equal in Chromium, PLATFORM.md G5)',
          'SharedWorker timer step is 0.1 ms (G6): p50/p99 are quantised, means are not',
          'every cell opens a fresh database (deleted after the cell, untimed)',
        ],
      },
      cells: Object.fromEntries(SELECTED.map((c) => [c.cell, { median: medians[c.cell], reps: results.get(c.cell) }])),
      ratios: r,
      profile,
    };
    const dir = join(repoRoot, '.bench');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `results-${started.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
    console.log(JSON.stringify(output));
    console.log('');
    const load = output.meta.loadAverage1m;
    console.log(
      `Stepwise bench: ${output.meta.chromium.version ?? 'chromium'}, ${REPS} reps × ${DURATION_MS} ms, profile on ${output.meta.profile.fsType}, worker timer step ${hello.timerStepMs} ms, load ${load.before.toFixed(1)} → ${load.after.toFixed(1)} on ${output.meta.cpus} cores`,
    );
    if (Math.max(load.before, load.after) > output.meta.cpus) console.log('warning: the machine was busy during this run; compare figures with care');
    console.log(renderText(medians, r, profile));
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
