/**
 * `npm run bench` (AI SDK part): what `durableModel` adds to an AI SDK call, and how fast a
 * streamed answer reaches a second tab. Headless Chromium on an on-disk profile; every call is
 * made in a module SharedWorker by `ai` 7 (`generateText`, `streamText`) through
 * `@ai-sdk/openai-compatible` against the local OpenAI wire-format server
 * (test/support/openai-server.ts on 127.0.0.1). `ai` is pre-bundled by Vite (it reaches a
 * CommonJS module).
 *
 * Overhead cells (bench/ai/overhead.worker.ts), `n` sequential calls each after untimed warm-up:
 * the bare call, and the same call as the one step of a new run (submit → claim → memo miss →
 * the call → memo write → settlement → outcome) on a `Runtime` at concurrency 1. Reported: p50
 * of the whole (from submit), of the call inside the step, and for streams the time to the first
 * text delta, each next to the bare call.
 *
 * Second-tab cells (bench/ai/app.worker.ts under `serve()`): tab A submits a run that streams a
 * `--words`-word answer, tab B (same browser, same SharedWorker) watches it with `connect()`. The
 * server writes one word per chunk, `--chunk-delay` ms apart ("paced") or back to back ("burst").
 * Tokens/s: as the step received them (the server's emission, plus the network), and as they
 * reached tab B through `step.progress` (default options: at most one update per 100 ms).
 *
 * Cells run interleaved: rep → cell, order rotated each rep; the figures are medians over reps
 * of each rep's p50 (or rate). Options: --reps N (5), --n N (30), --warmup N (3), --words N
 * (300), --chunk-delay MS (10), --port P (4799). Writes .bench/ai-<start>.json.
 */
import { loadavg, cpus } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium } from '../src/testing/browser.ts';
import { startDevServer } from '../src/testing/server.ts';
import { defaultReply, startOpenAiServer, type OpenAiServer } from '../test/support/openai-server.ts';
import type {} from './ai/page.ts';
import type { CallSample, OverheadCell, StreamOutput, WatchTrace } from './ai/protocol.ts';
import { within, writeResults } from './driver.ts';
import { median, percentile } from './stats.ts';

const { values: opts } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    n: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
    words: { type: 'string', default: '300' },
    'chunk-delay': { type: 'string', default: '10' },
    port: { type: 'string', default: '4799' },
  },
});
const REPS = Number(opts.reps);
const N = Number(opts.n);
const WORDS = Number(opts.words);
const CHUNK_DELAY = Number(opts['chunk-delay']);
const TIMEOUT_MS = 180_000;
const repoRoot = resolve(import.meta.dirname, '..');

type TabCell = 'tab-b-paced' | 'tab-b-burst';
type Cell = OverheadCell | TabCell;
const CELLS: Cell[] = ['generate-bare', 'generate-durable', 'stream-bare', 'stream-durable', 'tab-b-paced', 'tab-b-burst'];

const p50 = (xs: (number | undefined)[]) => percentile(xs.filter((v): v is number => v !== undefined).sort((a, b) => a - b), 50);
const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

interface OverheadRep {
  totalP50: number;
  callP50: number;
  ttftP50?: number;
  ttftInStepP50?: number;
}

interface TabRep {
  words: number;
  /** Text deltas per second as the step received them (first → last delta). */
  workerTokensPerSec: number;
  /** Words per second as tab B's watcher saw them (first → last update carrying words). */
  tabBTokensPerSec: number;
  /** Words tab B saw in the end (should equal `words`). */
  tabBWords: number;
  tabBUpdates: number;
  /** Tab B's update → when the step received its last word, p50 over the updates (ms). */
  lagP50Ms: number;
  /** The step's last delta → tab B's last update (ms). */
  lastWordLagMs: number;
}

function tabRep(out: StreamOutput, trace: WatchTrace): TabRep {
  const d = out.deltaAt;
  const seen = trace.words.map((w, i) => ({ w, at: trace.at[i]! })).filter((u) => u.w > 0);
  const first = seen[0]!;
  const last = seen[seen.length - 1]!;
  const lags = seen.map((u) => u.at - d[Math.min(d.length, u.w) - 1]!);
  return {
    words: out.tokens,
    workerTokensPerSec: d.length > 1 ? (d.length - 1) / ((d[d.length - 1]! - d[0]!) / 1000) : NaN,
    tabBTokensPerSec: seen.length > 1 ? (last.w - first.w) / ((last.at - first.at) / 1000) : NaN,
    tabBWords: last.w,
    tabBUpdates: seen.length,
    lagP50Ms: p50(lags),
    lastWordLagMs: last.at - d[d.length - 1]!,
  };
}

async function tabCell(a: Page, b: Page, api: OpenAiServer, cell: TabCell, id: string): Promise<TabRep> {
  const runId = `${cell}-${id}`;
  await b.evaluate((r) => window.aiBench.watch(r), runId);
  if (cell === 'tab-b-paced') api.inject({ kind: 'slow', chunkDelayMs: CHUNK_DELAY });
  const out = await within(a.evaluate(([r, p]) => window.aiBench.submitStream(r, p), [runId, 'long'] as const), TIMEOUT_MS, runId);
  const trace = await within(b.evaluate((r) => window.aiBench.watched(r), runId), TIMEOUT_MS, runId);
  return tabRep(out, trace);
}

async function overheadCell(page: Page, apiBase: string, cell: OverheadCell): Promise<OverheadRep> {
  const cmd = { cell, apiBase, n: N, warmup: Number(opts.warmup) };
  const r = await within(page.evaluate((c) => window.aiBench.overhead(c), cmd), TIMEOUT_MS, cmd);
  const s: CallSample[] = r.samples;
  const out: OverheadRep = { totalP50: p50(s.map((x) => x.totalMs)), callP50: p50(s.map((x) => x.callMs)) };
  if (cell.startsWith('stream')) out.ttftP50 = p50(s.map((x) => x.ttftMs));
  if (cell === 'stream-durable') out.ttftInStepP50 = p50(s.map((x) => x.ttftInStepMs));
  return out;
}

async function main(): Promise<void> {
  const started = new Date();
  const loadBefore = loadavg()[0]!;
  const server = await startDevServer({ port: Number(opts.port), root: repoRoot, optimizeDeps: ['ai', '@ai-sdk/openai-compatible'] });
  const longAnswer = Array.from({ length: WORDS }, (_, i) => `w${i}`).join(' ');
  const api = await startOpenAiServer({ reply: (req) => (JSON.stringify(req.body['messages']).includes('"long"') ? { content: longAnswer } : defaultReply(req)) });
  const session = await launchChromium({ headless: true });
  try {
    const open = async () => {
      const page = await session.newPage();
      page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
      await page.goto(`${server.origin}/bench/ai/index.html`);
      await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 60_000 });
      return page;
    };
    const a = await open();
    const b = await open();
    const db = `bench-ai-app-${Date.now()}`;
    for (const p of [a, b]) await p.evaluate(([d, u]) => window.aiBench.connectApp(d, u), [db, api.baseURL] as const);
    // Untimed warm-up of the second-tab path (worker start, module loading).
    await tabCell(a, b, api, 'tab-b-burst', 'warmup');

    const overhead = new Map<OverheadCell, OverheadRep[]>();
    const tabs = new Map<TabCell, TabRep[]>();
    for (let rep = 0; rep < REPS; rep++) {
      const order = [...CELLS.slice(rep % CELLS.length), ...CELLS.slice(0, rep % CELLS.length)];
      for (const cell of order) {
        if (cell === 'tab-b-paced' || cell === 'tab-b-burst') {
          const r = await tabCell(a, b, api, cell, String(rep));
          tabs.set(cell, [...(tabs.get(cell) ?? []), r]);
          process.stderr.write(`\r[bench ai] rep ${rep + 1}/${REPS} ${cell.padEnd(17)} worker ${r.workerTokensPerSec.toFixed(0)} tok/s, tab B ${r.tabBTokensPerSec.toFixed(0)} tok/s   `);
        } else {
          const r = await overheadCell(a, api.baseURL, cell);
          overhead.set(cell, [...(overhead.get(cell) ?? []), r]);
          process.stderr.write(`\r[bench ai] rep ${rep + 1}/${REPS} ${cell.padEnd(17)} p50 ${r.totalP50.toFixed(2)} ms                       `);
        }
      }
    }
    process.stderr.write('\n');
    const med = (cell: OverheadCell, k: keyof OverheadRep) => round(median(overhead.get(cell)!.map((r) => r[k] ?? NaN)));
    const diff = (x: OverheadCell, kx: keyof OverheadRep, y: OverheadCell, ky: keyof OverheadRep) =>
      round(median(overhead.get(x)!.map((r, i) => (r[kx] ?? NaN) - (overhead.get(y)![i]![ky] ?? NaN))));
    const tabMed = (cell: TabCell) => {
      const rs = tabs.get(cell)!;
      const keys = Object.keys(rs[0]!) as (keyof TabRep)[];
      return Object.fromEntries(keys.map((k) => [k, round(median(rs.map((r) => r[k])), 1)]));
    };
    const output = {
      meta: {
        startedAt: started.toISOString(),
        wallMs: Date.now() - started.getTime(),
        chromium: session.context.browser()?.version() ?? null,
        node: process.version,
        cpus: cpus().length,
        loadAverage1m: { before: loadBefore, after: loadavg()[0]! },
        config: { reps: REPS, n: N, warmup: Number(opts.warmup), words: WORDS, chunkDelayMs: CHUNK_DELAY },
        notes: [
          'ai 7 (generateText, streamText) with @ai-sdk/openai-compatible 3, in a module SharedWorker, against the local OpenAI wire-format server on 127.0.0.1',
          'durable: each call is the one step of a new run on a Runtime at concurrency 1 (submit → claim → memo miss → the call → memo write → settlement → outcome); "in step" times the generateText/streamText call inside the step',
          'stream time to first token: from the call (bare, in step) or from the submit (as a run) to the first text delta the caller receives',
          'second tab: tab A submits through connect() to a serve() SharedWorker, tab B watches the run; the server writes one word per chunk; durableModel default options (progress at most every 100 ms)',
          'tokens/s: the step\'s first → last text delta (the server\'s emission rate plus the network), and tab B\'s first → last update carrying words; lag: a tab B update → when the step had received its newest word',
          'medians over interleaved reps (rep → cell, order rotated) of each rep\'s p50 or rate; the SharedWorker clock steps by 0.1 ms',
        ],
      },
      generate: {
        bareP50Ms: med('generate-bare', 'totalP50'),
        inStepP50Ms: med('generate-durable', 'callP50'),
        runP50Ms: med('generate-durable', 'totalP50'),
        addedInStepP50Ms: diff('generate-durable', 'callP50', 'generate-bare', 'totalP50'),
        addedRunP50Ms: diff('generate-durable', 'totalP50', 'generate-bare', 'totalP50'),
      },
      stream: {
        bareTtftP50Ms: med('stream-bare', 'ttftP50'),
        inStepTtftP50Ms: med('stream-durable', 'ttftInStepP50'),
        runTtftP50Ms: med('stream-durable', 'ttftP50'),
        addedTtftInStepP50Ms: diff('stream-durable', 'ttftInStepP50', 'stream-bare', 'ttftP50'),
        addedTtftRunP50Ms: diff('stream-durable', 'ttftP50', 'stream-bare', 'ttftP50'),
        bareP50Ms: med('stream-bare', 'totalP50'),
        inStepP50Ms: med('stream-durable', 'callP50'),
        runP50Ms: med('stream-durable', 'totalP50'),
      },
      secondTab: { paced: tabMed('tab-b-paced'), burst: tabMed('tab-b-burst') },
      apiRequests: api.requests,
      reps: { overhead: Object.fromEntries(overhead), tabs: Object.fromEntries(tabs) },
    };
    const file = writeResults('ai', started, output);
    console.log(JSON.stringify({ generate: output.generate, stream: output.stream, secondTab: output.secondTab }, null, 2));
    console.log(`\nwritten: ${file}  (${((Date.now() - started.getTime()) / 1000).toFixed(1)} s, load ${loadBefore.toFixed(1)} → ${output.meta.loadAverage1m.after.toFixed(1)})`);
  } finally {
    await session.close();
    await api.close();
    await server.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
