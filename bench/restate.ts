/**
 * Remote runs on a real Restate server (the npm-installed binary, one node) with the service
 * endpoint in this process: hand-offs per second (`RemoteRuns.start` of N runs, `LANES` at a
 * time) and remote steps per second (runs of `STEPS` no-op steps, all in flight at once).
 *
 * Output: .bench/restate-<iso>.json (printed) and a summary line.
 */
import '../test/support/with-resolvers.ts';
import { cpus, loadavg } from 'node:os';
import { Outcome } from '../src/core/outcome.ts';
import type { HandoffState } from '../src/restate/contract.ts';
import type { StepRunner } from '../src/runtime/types.ts';
import { restateRuns, serveRestate } from '../src/restate.ts';
import { startRestateServer } from '../test/support/restate-server.ts';
import { writeResults } from './driver.ts';

const HANDOFFS = Number(process.env['RESTATE_BENCH_HANDOFFS'] ?? 200);
const RUNS = Number(process.env['RESTATE_BENCH_RUNS'] ?? 20);
const STEPS = 10;
const LANES = 16;

const noop: StepRunner = async (step) => (step.stepNumber + 1 < STEPS ? Outcome.next(null) : Outcome.succeed(step.stepNumber));
const parked: StepRunner = async () => Outcome.waitForEvent('never', null);

function state(workflow: string, runId: string): HandoffState {
  return { runId, workflow, stepNumber: 0, attempts: 0, payload: null, headers: {}, submittedAt: Date.now(), memo: [] };
}

async function pool<T>(items: T[], lanes: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function main(): Promise<void> {
  const started = new Date();
  const server = await startRestateServer();
  const endpoint = await serveRestate({
    workflows: { noop, parked },
    ingressUrl: server.ingressUrl,
    logger: (meta, message, ...rest) => {
      if (meta.level === 'error') console.error(message, ...rest);
    },
  });
  try {
    await server.register(endpoint.url);
    const runs = restateRuns({ ingressUrl: server.ingressUrl, workflows: ['noop', 'parked'] });
    await runs.start('bench', state('noop', 'warmup'));
    await runs.outcome('bench', 'warmup', 30_000);

    // Hand-offs: runs that park on an event at once, so the measure is the hand-off itself.
    const ids = Array.from({ length: HANDOFFS }, (_, i) => `h${i}`);
    let t = performance.now();
    await pool(ids, LANES, (id) => runs.start('bench', state('parked', id)));
    const handoffMs = performance.now() - t;

    // Remote steps: RUNS runs of STEPS no-op steps, all at once, until every one ended.
    const stepIds = Array.from({ length: RUNS }, (_, i) => `s${i}`);
    t = performance.now();
    await Promise.all(stepIds.map((id) => runs.start('bench', state('noop', id))));
    await Promise.all(
      stepIds.map(async (id) => {
        for (;;) {
          const s = await runs.outcome('bench', id, 30_000);
          if (s?.state === 'succeeded') return;
          if (s?.state === 'failed' || s?.state === 'cancelled') throw new Error(`bench run ${id} ended ${s.state}`);
        }
      }),
    );
    const stepsMs = performance.now() - t;

    const output = {
      meta: {
        startedAt: started.toISOString(),
        wallMs: Date.now() - started.getTime(),
        node: process.version,
        cpus: cpus().length,
        loadAverage1m: loadavg()[0],
        config: { handoffs: HANDOFFS, lanes: LANES, runs: RUNS, stepsPerRun: STEPS },
        notes: ['one restate-server node (npm binary, 4 partitions) and one service endpoint in this process, both on this machine'],
      },
      handoffs: { n: HANDOFFS, ms: handoffMs, perSec: HANDOFFS / (handoffMs / 1000) },
      steps: { n: RUNS * STEPS, ms: stepsMs, perSec: (RUNS * STEPS) / (stepsMs / 1000) },
    };
    const file = writeResults('restate', started, output);
    console.log(JSON.stringify(output));
    console.log(`\nRestate: ${Math.round(output.handoffs.perSec)} hand-offs/s (${LANES} at a time), ${Math.round(output.steps.perSec)} remote steps/s (${RUNS} runs of ${STEPS} no-op steps)\nwritten: ${file}`);
  } finally {
    // The server first: the parked runs' open streams then end from its side, not mid-write.
    await server.stop();
    await endpoint.close();
  }
}

await main();
