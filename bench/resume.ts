/**
 * `npx tsx bench/resume.ts`: how fast a run resumes after its executor is interrupted, in
 * headless Chromium on an on-disk profile (launchChromium), from a PRODUCTION build of an app
 * page and worker (bench/resume/, built with Vite's API into a temp dir and served statically
 * on a fixed 127.0.0.1 port; `--build dev` serves the same files from the Vite dev server, as
 * the e2e tests do, for comparison). Why: the issue's targets (close-all/reopen ≤ 200 ms p50 from
 * page load to the step running again, takeover after a creator-tab crash ≤ 250 ms p50) are about
 * what a user of a shipped app sees, not the dev server's dozens of module requests.
 *
 * Cells (ms from the interruption to the interrupted step's runner entered again as attempt 2,
 * except reloadConnected): reload of the only tab (no extendedLifetime) → step again and →
 * client connected; close every tab, reopen after --reopen-delay → step again, from the new
 * document's navigation start (and the same reopened at once); creator-tab crash with another tab
 * open → step again in the surviving tab's new worker; per-tab fallback (no SharedWorker), the
 * executor tab closed → the other tab's worker runs the step. Page → worker round trips are
 * bench/client-cells.ts's. Each scenario's time is broken into phases (bench/resume/phases.ts)
 * from marks the page and the worker record (bench/resume/marks.ts), read through the page.
 *
 * Reps are interleaved (rep → scenario, order rotated each rep) after --warmup untimed reps.
 * Options: --reps N (7), --port P (4794), --build production|dev, --reopen-delay MS (1000),
 * --settle MS (200), --warmup N (1), --only reload,reopen,reopenImmediate,crash,fallback,
 * --max-busy F (0.3) and --quiet-wait MS (30000; 0: never wait): before each rep, wait up to
 * that long for the rest of the machine to use at most that CPU share (bench/resume/quiet.ts;
 * each sample records it as busyBefore).
 * Writes .bench/resume-<iso>.json, prints it, then a table.
 */
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { writeResults } from './driver.ts';
import { parseArgs } from 'node:util';
import { launchChromium } from '../src/testing/browser.ts';
import { chromiumPath } from '../src/testing/chromium-path.ts';
import { now } from './resume/marks.ts';
import { cellStats, phaseStats, renderTable, type CellRow, type CellStats } from './resume/report.ts';
import { crashRep, fallbackRep, reloadRep, reopenRep, type RepContext, type Sample } from './resume/scenarios.ts';
import { waitForQuiet } from './resume/quiet.ts';
import { startApp, type BuildKind } from './resume/serve.ts';

const { values: opts } = parseArgs({
  options: {
    reps: { type: 'string', default: '7' },
    port: { type: 'string', default: '4794' },
    build: { type: 'string', default: 'production' },
    'reopen-delay': { type: 'string', default: '1000' },
    settle: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '1' },
    'max-busy': { type: 'string', default: '0.3' },
    'quiet-wait': { type: 'string', default: '30000' },
    only: { type: 'string', default: '' },
  },
});
if (opts.build !== 'production' && opts.build !== 'dev') throw new Error(`--build: production or dev, not ${opts.build}`);
const BUILD: BuildKind = opts.build;
const REPS = Number(opts.reps);
const WARMUP = Number(opts.warmup);
const MAX_BUSY = Number(opts['max-busy']);
const QUIET_WAIT_MS = Number(opts['quiet-wait']);
const repoRoot = resolve(import.meta.dirname, '..');

const SCENARIOS: Record<string, (ctx: RepContext) => Promise<Sample>> = {
  reload: reloadRep,
  reopen: (ctx) => reopenRep(ctx),
  reopenImmediate: (ctx) => reopenRep(ctx, 0),
  crash: crashRep,
  fallback: fallbackRep,
};
const only = opts.only ? opts.only.split(',') : Object.keys(SCENARIOS);
const unknown = only.filter((s) => !(s in SCENARIOS));
if (unknown.length > 0) throw new Error(`--only: unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);

const ROWS: (CellRow & { scenario: string; pick: (s: Sample) => number })[] = [
  { name: 'reloadStepAgain', scenario: 'reload', title: 'reload of the only tab → step running again', pick: (s) => s.ms },
  { name: 'reloadConnected', scenario: 'reload', title: 'reload of the only tab → client connected', pick: (s) => s.extra['connected']! },
  { name: 'reopenStepAgain', scenario: 'reopen', title: `close all, reopen after ${opts['reopen-delay']} ms: page load → step running again`, pick: (s) => s.ms, target: 200 },
  { name: 'reopenImmediateStepAgain', scenario: 'reopenImmediate', title: 'close all, reopen at once: page load → step running again', pick: (s) => s.ms },
  { name: 'crashTakeover', scenario: 'crash', title: 'creator-tab crash → step running again in a new worker', pick: (s) => s.ms, target: 250 },
  { name: 'fallbackFailover', scenario: 'fallback', title: 'fallback: executor tab closed → other tab runs the step', pick: (s) => s.ms },
];

async function main(): Promise<void> {
  const started = new Date();
  const loadBefore = loadavg()[0] ?? NaN;
  const app = await startApp(BUILD, Number(opts.port), repoRoot);
  const session = await launchChromium();
  const samples = new Map<string, Sample[]>(only.map((s) => [s, []]));
  const failures = new Map<string, string[]>(only.map((s) => [s, []]));
  try {
    const ctx: RepContext = {
      session,
      pageUrl: `${app.origin}${app.pagePath}`,
      timeoutMs: 20_000,
      reopenDelayMs: Number(opts['reopen-delay']),
      settleMs: Number(opts.settle),
    };
    for (let rep = -WARMUP; rep < REPS; rep++) {
      const k = ((rep % only.length) + only.length) % only.length;
      for (const name of [...only.slice(k), ...only.slice(0, k)]) {
        const label = rep < 0 ? 'warm-up' : `rep ${rep + 1}/${REPS}`;
        const busyBefore = QUIET_WAIT_MS > 0 ? await waitForQuiet(MAX_BUSY, QUIET_WAIT_MS) : NaN;
        try {
          const s = await SCENARIOS[name]!(ctx);
          if (rep >= 0) samples.get(name)!.push({ ...s, busyBefore });
          process.stderr.write(`[resume] ${label} ${name.padEnd(16)} ${s.ms.toFixed(1).padStart(7)} ms${Number.isFinite(busyBefore) ? `   (machine busy ${(busyBefore * 100).toFixed(0)}% before)` : ''}\n`);
        } catch (e) {
          if (rep >= 0) failures.get(name)!.push(String(e));
          process.stderr.write(`[resume] ${label} ${name.padEnd(16)} FAILED ${String(e).split('\n')[0]}\n`);
        }
      }
    }
    const cells: Record<string, CellStats> = {};
    for (const row of ROWS) {
      const xs = samples.get(row.scenario);
      if (xs) cells[row.name] = cellStats(xs.map(row.pick), failures.get(row.scenario)!.length);
    }
    const phases = Object.fromEntries(only.map((s) => [s, phaseStats(samples.get(s)!)]));
    const output = {
      meta: {
        startedAt: started.toISOString(),
        wallMs: Date.now() - started.getTime(),
        build: BUILD,
        reps: REPS,
        warmup: WARMUP,
        chromium: { path: chromiumPath(), version: session.context.browser()?.version() ?? null },
        origin: app.origin,
        files: app.files,
        node: process.version,
        cpus: cpus().length,
        loadAverage1m: { before: loadBefore, after: loadavg()[0] ?? NaN },
        nodeClockSkewMs: Date.now() - now(),
        config: {
          reopenDelayMs: ctx.reopenDelayMs,
          settleMs: ctx.settleMs,
          order: 'rep → scenario, rotated each rep',
          scenarios: only,
          quiet: { maxBusy: MAX_BUSY, maxWaitMs: QUIET_WAIT_MS },
        },
        failures: Object.fromEntries(failures),
        notes: [
          'times are epoch ms from performance.timeOrigin + performance.now() in Node, page and worker alike',
          'reopen cells start at the new document\'s navigation start; extra.fromGoto adds the tab creation, extra.fromClose the close and the pause',
          'production: minified Vite build, HTML revalidated (ETag/304), hashed assets immutable (HTTP cache warm after the warm-up rep)',
          'each rep starts with no tab open, and cancels its run at the end so the next recovery has one claim',
          'samples[].busyBefore: the rest of the machine\'s CPU share (0–1) measured just before the rep',
        ],
      },
      cells,
      phases,
      samples: Object.fromEntries(samples),
    };
    const file = writeResults('resume', started, output);
    console.log(JSON.stringify(output));
    console.log(`\nStepwise resume bench: ${BUILD} build, ${output.meta.chromium.version ?? 'chromium'}, ${REPS} reps, load ${loadBefore.toFixed(1)} → ${output.meta.loadAverage1m.after.toFixed(1)} on ${output.meta.cpus} cores\n`);
    console.log(renderTable(ROWS, cells, phases));
    console.log(`\nwritten: ${file}  (${((Date.now() - started.getTime()) / 1000).toFixed(1)} s)`);
  } finally {
    await session.close();
    await app.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
