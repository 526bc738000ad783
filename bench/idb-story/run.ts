/**
 * `npx tsx bench/idb-story/run.ts`: which IndexedDB layer the store should use, measured.
 *
 * Candidates (bench/idb-story/cand-*.ts), all on the same schema and the same step-shaped
 * transaction (bench/idb-story/step.ts):
 * - today: Dexie opens the schema, src/store/tx.ts runs raw requests;
 * - dexie-idb (a): Dexie opens the schema, idb's wrapped requests;
 * - dexie (b): Dexie throughout (Table API in `db.transaction`), query cache off as today;
 *   dexie-cached: the same with Dexie's default cache ('cloned');
 * - idb (c): idb's `openDB` with an `upgrade` holding the version history, idb's requests;
 * - raw (d): an own open/upgrade function on raw IndexedDB, src/store/tx.ts.
 * Beside them `raw-put`: one put per transaction (bench/raw-cells.ts), the physical reference.
 *
 * Everything runs in a module SharedWorker in headless Chromium on an on-disk profile
 * (src/testing: Vite dev server on 127.0.0.1, Chromium from CHROME_PATH or /usr/bin/chromium).
 * Every cell at 1 lane (sequential) and at 16 concurrent lanes; reps interleaved (rep → cell,
 * order rotated each rep), a fresh database per cell, an untimed warm-up and a settle pause;
 * medians over reps of transactions/s and p50/p99 latency. Two schedules:
 * - sliced (the comparison to read on a shared machine): every cell's database open at once,
 *   the cells taking turns of --slice-ms (150) for --rounds (10) rounds per rep, the order
 *   rotated each round, so load from elsewhere falls on all of them alike;
 * - cells: one cell at a time for --duration, as bench/run.ts does.
 * Ratios (÷ raw-put, ÷ today) are medians of per-rep ratios. Then the bundle cost (sizes.ts),
 * then each layer's CPU cost per transaction in Node on fake-indexeddb (cpu.ts), which machine
 * load does not blur the way it blurs the browser's wall-clock figures.
 *
 * Options: --reps N (5), --duration MS per cell (1500), --port P (4797), --lanes 1,16,
 * --mode sliced,cells, --slice-ms MS (150), --rounds N (10), --skip-cpu, --cpu-reps N (11),
 * --cpu-txs N (400 transactions per candidate per rep),
 * --only cell,cell (cells: raw-put and the candidate names), --skip-size, --skip-browser.
 * Output: bench/idb-story/results.json (and a markdown table on stdout).
 */
import { statfsSync, writeFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../src/testing/browser.ts';
import { chromiumPath } from '../../src/testing/chromium-path.ts';
import { startDevServer } from '../../src/testing/server.ts';
import { within } from '../driver.ts';
import { median } from '../stats.ts';
import { CANDIDATES, type CandidateName, type CellCommand, type CellKind, type CellResult, type Command, type HelloResult } from './protocol.ts';
import { measureSizes, type SizeRow } from './sizes.ts';

const { values: opts } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    duration: { type: 'string', default: '1500' },
    port: { type: 'string', default: '4797' },
    lanes: { type: 'string', default: '1,16' },
    only: { type: 'string', default: '' },
    mode: { type: 'string', default: 'sliced,cells' },
    'slice-ms': { type: 'string', default: '150' },
    rounds: { type: 'string', default: '10' },
    'skip-size': { type: 'boolean', default: false },
    'skip-cpu': { type: 'boolean', default: false },
    'cpu-reps': { type: 'string', default: '11' },
    'cpu-txs': { type: 'string', default: '400' },
    'skip-browser': { type: 'boolean', default: false },
  },
});
const here = import.meta.dirname;
const repoRoot = resolve(here, '../..');
const REPS = Number(opts.reps);
const DURATION_MS = Number(opts.duration);
const LANES = opts.lanes.split(',').map(Number);
const MODES = opts.mode.split(',');
const SLICE_MS = Number(opts['slice-ms']);
const ROUNDS = Number(opts.rounds);
const KINDS: CellKind[] = ['raw-put', ...CANDIDATES];
const only = opts.only ? (opts.only.split(',') as CellKind[]) : undefined;
const unknownCells = only?.filter((c) => !KINDS.includes(c)) ?? [];
if (unknownCells.length > 0) throw new Error(`--only: unknown ${unknownCells.join(', ')}; known: ${KINDS.join(', ')}`);
const CELLS = (only ?? KINDS).flatMap((cell) => LANES.map((lanes) => ({ cell, lanes, key: `${cell}@${lanes}` })));

const call = <T>(page: Page, cmd: Command): Promise<T> =>
  within(page.evaluate((c) => window.idbStory!.run(c), cmd), 180_000, cmd) as Promise<T>;

const version = (pkg: string): string => {
  try {
    return (JSON.parse(readFileSync(join(repoRoot, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
};

interface Median {
  lanes: number;
  txPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** txPerSec ÷ raw-put txPerSec at the same lane count, in the same run. */
  vsRawPut: number | null;
  /** txPerSec ÷ today's txPerSec at the same lane count. */
  vsToday: number | null;
  reps: { txPerSec: number; p50Ms: number; p99Ms: number; ops: number }[];
}

/** Medians over reps per cell@lanes, and ratios to raw-put and to today at the same lane count (medians of the per-rep ratios: reps are paired). */
function medianize(results: Map<string, CellResult[]>): Record<string, Median> {
  const medians: Record<string, Median> = {};
  const ratio = (key: string, lanes: number, to: string): number | null => {
    const a = results.get(key)!;
    const b = results.get(`${to}@${lanes}`);
    if (!b || b.length !== a.length) return null;
    return Math.round(1000 * median(a.map((r, i) => r.opsPerSec / b[i]!.opsPerSec))) / 1000;
  };
  for (const [key, rs] of results) {
    const lanes = rs[0]?.lanes ?? NaN;
    medians[key] = {
      lanes,
      txPerSec: Math.round(median(rs.map((r) => r.opsPerSec))),
      p50Ms: median(rs.map((r) => r.latency.p50)),
      p99Ms: median(rs.map((r) => r.latency.p99)),
      vsRawPut: ratio(key, lanes, 'raw-put'),
      vsToday: ratio(key, lanes, 'today'),
      reps: rs.map((r) => ({ txPerSec: Math.round(r.opsPerSec), p50Ms: r.latency.p50, p99Ms: r.latency.p99, ops: r.ops })),
    };
  }
  return medians;
}

/** One cell at a time (each for --duration, its own fresh database), reps interleaved and rotated. */
async function cellMode(page: Page): Promise<Record<string, Median>> {
  const results = new Map<string, CellResult[]>(CELLS.map((c) => [c.key, []]));
  let n = 0;
  for (let rep = 0; rep < REPS; rep++) {
    const shift = rep % CELLS.length;
    for (const c of [...CELLS.slice(shift), ...CELLS.slice(0, shift)]) {
      const cmd: CellCommand = { kind: 'cell', cell: c.cell, lanes: c.lanes, durationMs: DURATION_MS, maxOps: 1_000_000, warmupOps: 30, settleMs: 100 };
      const r = await call<CellResult>(page, cmd);
      results.get(c.key)!.push(r);
      process.stderr.write(`\r[idb-story cells] ${++n}/${REPS * CELLS.length} rep ${rep + 1} ${c.key.padEnd(16)} ${Math.round(r.opsPerSec)} tx/s p50 ${r.latency.p50.toFixed(2)} ms     `);
    }
  }
  process.stderr.write('\n');
  return medianize(results);
}

/** All cells of one lane count open together, taking turns in slices (see SlicedCommand); one such block per rep and lane count. */
async function slicedMode(page: Page): Promise<Record<string, Median>> {
  const results = new Map<string, CellResult[]>(CELLS.map((c) => [c.key, []]));
  const kinds = only ?? KINDS;
  for (let rep = 0; rep < REPS; rep++) {
    for (const lanes of LANES) {
      const shift = rep % kinds.length;
      const cells = [...kinds.slice(shift), ...kinds.slice(0, shift)];
      const rs = await call<CellResult[]>(page, { kind: 'sliced', cells, lanes, sliceMs: SLICE_MS, rounds: ROUNDS, warmupOps: 30 });
      for (const r of rs) results.get(`${r.cell}@${lanes}`)!.push(r);
      process.stderr.write(`\r[idb-story sliced] rep ${rep + 1}/${REPS} lanes ${lanes}: ${rs.map((r) => `${r.cell} ${Math.round(r.opsPerSec)}`).join(', ')}     `);
    }
  }
  process.stderr.write('\n');
  return medianize(results);
}

async function runBrowser() {
  // Dexie (for the today, (a) and (b) candidates) is CommonJS underneath: pre-bundled at start.
  const server = await startDevServer({ port: Number(opts.port), root: repoRoot, optimizeDeps: ['dexie'] });
  const session = await launchChromium({ headless: true });
  try {
    const page = await session.newPage();
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/websocket|\[vite\]/i.test(m.text())) process.stderr.write(`[page console] ${m.text()}\n`);
    });
    await page.goto(`${server.origin}/bench/idb-story/index.html`);
    await page.waitForFunction(() => window.idbStory !== undefined, undefined, { timeout: 30_000 });
    const hello = await call<HelloResult>(page, { kind: 'hello' });
    const cells = MODES.includes('cells') ? await cellMode(page) : undefined;
    const sliced = MODES.includes('sliced') ? await slicedMode(page) : undefined;
    return {
      meta: {
        chromium: { path: chromiumPath(), version: page.context().browser()?.version() ?? null, userAgent: hello.userAgent },
        worker: { kind: 'module SharedWorker', timerStepMs: hello.timerStepMs, crossOriginIsolated: hello.crossOriginIsolated },
        profile: { onDisk: true, fsType: `0x${statfsSync(session.profileDir).type.toString(16)}` },
      },
      cells,
      sliced,
    };
  } finally {
    await session.close();
    await server.close();
  }
}

const kb = (n: number) => (Number.isFinite(n) ? `${(n / 1024).toFixed(2)} KB` : 'n/a');

function markdown(title: string, medians: Record<string, Median> | undefined, sizes: SizeRow[] | undefined): string {
  const out: string[] = [];
  if (medians) {
    out.push(`${title}\n`, '| cell | lanes | tx/s | p50 ms | p99 ms | ÷ raw-put | ÷ today |', '|---|---:|---:|---:|---:|---:|---:|');
    for (const [key, m] of Object.entries(medians)) {
      out.push(`| ${key.split('@')[0]} | ${m.lanes} | ${m.txPerSec} | ${m.p50Ms.toFixed(2)} | ${m.p99Ms.toFixed(2)} | ${m.vsRawPut?.toFixed(3) ?? ''} | ${m.vsToday?.toFixed(3) ?? ''} |`);
    }
  }
  if (sizes) {
    out.push('', '| bundle | min | min+gzip | library | library min | library gzip (marginal) |', '|---|---:|---:|---|---:|---:|');
    for (const s of sizes) {
      out.push(`| ${s.entry} | ${kb(s.minBytes)} | ${kb(s.gzipBytes)} | ${s.library?.name ?? '-'} | ${s.library ? kb(s.library.minBytes) : '-'} | ${s.library ? kb(s.library.gzipMarginalBytes) : '-'} |${s.error ? ` build failed: ${s.error.split('\n')[0]}` : ''}`);
    }
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const started = new Date();
  const loadBefore = loadavg()[0] ?? NaN;
  const browser = opts['skip-browser'] ? undefined : await runBrowser();
  const loadAfter = loadavg()[0] ?? NaN;
  const sizes = opts['skip-size'] ? undefined : await measureSizes();
  // Imported here: it installs fake-indexeddb's globals into this process.
  const cpu = opts['skip-cpu'] ? undefined : await (await import('./cpu.ts')).measureCpu((only ?? CANDIDATES).filter((c) => c !== 'raw-put') as CandidateName[], LANES, Number(opts['cpu-reps']), Number(opts['cpu-txs']));
  const output = {
    meta: {
      startedAt: started.toISOString(),
      wallMs: Date.now() - started.getTime(),
      versions: { dexie: version('dexie'), idb: version('idb'), node: process.version },
      ...browser?.meta,
      cpus: cpus().length,
      loadAverage1m: { before: loadBefore, after: loadAfter },
      config: { reps: REPS, cpuReps: Number(opts['cpu-reps']), cpuTxs: Number(opts['cpu-txs']), modes: MODES, sliceMs: SLICE_MS, rounds: ROUNDS, durationMs: DURATION_MS, lanes: LANES, warmupOps: 30, settleMs: 100, order: 'rep → cell, rotated each rep', only: only ?? null },
      notes: [
        'step transaction: one readwrite transaction over jobs/runs/history/queues/attempts; 5 reads issued at once (job, run, queue counter, jobs.due getAll over a sparse index holding 200 far-future jobs, previous history record), then 6 puts, then commit; durability relaxed',
        'today and raw run the identical transaction code (src/store/tx.ts); they differ only in how the database is opened, so their gap is the noise floor',
        'raw-put: one put per transaction on a one-store database, durability default (equal to relaxed in Chromium)',
        'idb candidates await their puts with tx.done (idb always wraps a request in a promise); today/raw issue puts without awaiting; dexie awaits its puts',
        'every candidate cell checks afterwards that one history record per step was committed',
        'sizes: one Vite/Rolldown production build per entry (minify, ES module, library bundled), gzip level 9; library gzip = gzip(bundle) − gzip(bundle without the library\'s bytes)',
      ],
    },
    /** Time-sliced: all candidates open at once, taking 150 ms turns (the noise-robust comparison). */
    sliced: browser?.sliced ?? null,
    /** One cell at a time, each for --duration on its own database. */
    cells: browser?.cells ?? null,
    /** CPU µs per transaction in Node on fake-indexeddb (cpu.ts): the layers' own cost, load-independent. */
    cpu: cpu ?? null,
    sizes: sizes ?? null,
  };
  const file = join(here, 'results.json');
  writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  const load = output.meta.loadAverage1m;
  console.log(`IndexedDB story: ${REPS} reps × ${DURATION_MS} ms, load ${load.before.toFixed(1)} → ${load.after.toFixed(1)} on ${output.meta.cpus} cores; dexie ${output.meta.versions.dexie}, idb ${output.meta.versions.idb}\n`);
  if (browser?.sliced) console.log(`${markdown(`time-sliced (${ROUNDS} rounds × ${SLICE_MS} ms per cell per rep)`, browser.sliced, undefined)}\n`);
  if (browser?.cells) console.log(`${markdown(`one cell at a time (${DURATION_MS} ms per cell per rep)`, browser.cells, undefined)}\n`);
  if (cpu) {
    console.log('CPU per transaction, Node + fake-indexeddb (µs; "over raw" = the layer\'s own cost)\n');
    console.log('| candidate | lanes | CPU µs/tx | over raw µs | wall µs/tx |\n|---|---:|---:|---:|---:|');
    for (const r of cpu) console.log(`| ${r.candidate} | ${r.lanes} | ${r.cpuUsPerTx} | ${r.overRawUs} | ${r.wallUsPerTx} |`);
    console.log('');
  }
  if (sizes) console.log(markdown('', undefined, sizes));
  console.log(`\nwritten: ${file}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
