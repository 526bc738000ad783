/**
 * `npm run bench` (second part): what the runtime adds to a model step and to an API step.
 * In a module SharedWorker in headless Chromium on an on-disk profile, `n` sequential calls each:
 * a bare fetch of a chat completion from a local OpenAI-compatible server vs a workflow step
 * calling `llm.chat` (createLlm), and a bare tiny-gpt2 pipeline call vs a workflow step calling
 * `tx.generate` (createTransformers). Each step is a new run (submit → claim → memo miss →
 * the call → memo write → settlement → wait), so it pays for its call. Prints JSON and a table.
 */
import { parseArgs } from 'node:util';
import { launchChromium } from '../src/testing/browser.ts';
import { startDevServer } from '../src/testing/server.ts';
import { startOpenAiServer } from '../test/support/openai-server.ts';
import { writeResults } from './driver.ts';
import type { RunnerBenchResult } from './runners.worker.ts';

const { values: opts } = parseArgs({
  options: {
    n: { type: 'string', default: '40' },
    port: { type: 'string', default: '4795' },
    'max-new-tokens': { type: 'string', default: '8' },
  },
});

function summary(xs: number[]): { p50: number; p90: number; mean: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p90: at(0.9), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function main(): Promise<void> {
  const server = await startDevServer({ port: Number(opts.port) });
  const api = await startOpenAiServer();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.origin}/bench/runners.html`);
    await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 60_000 });
    const r: RunnerBenchResult = await page.evaluate(
      (cmd) => window.runnerBench(cmd),
      { apiBase: api.baseURL, n: Number(opts.n), maxNewTokens: Number(opts['max-new-tokens']) },
    );
    const rows = {
      api: { bare: summary(r.bareApi), step: summary(r.stepApi) },
      model: { bare: summary(r.bareModel), step: summary(r.stepModel) },
    };
    const out = {
      n: Number(opts.n),
      maxNewTokens: Number(opts['max-new-tokens']),
      apiRequests: api.requests,
      ...Object.fromEntries(
        Object.entries(rows).map(([k, v]) => [k, { ...v, overheadP50Ms: v.step.p50 - v.bare.p50, stepOverBareP50: v.step.p50 / v.bare.p50 }]),
      ),
    };
    console.log(JSON.stringify(out, null, 2));
    console.log('\nrunner overhead (ms, p50 / p90; n sequential calls, concurrency 1)');
    console.log('kind   bare call        as a workflow step   overhead p50   step/bare');
    for (const [k, v] of Object.entries(rows)) {
      const f = (s: { p50: number; p90: number }) => `${s.p50.toFixed(2)} / ${s.p90.toFixed(2)}`.padEnd(17);
      console.log(`${k.padEnd(6)} ${f(v.bare)}${f(v.step)}    ${(v.step.p50 - v.bare.p50).toFixed(2).padEnd(14)} ${(v.step.p50 / v.bare.p50).toFixed(2)}x`);
    }
    console.log(`\nwritten: ${writeResults('runners', new Date(), out)}`);
  } finally {
    await browser.close();
    await api.close();
    await server.close();
  }
}

await main();
