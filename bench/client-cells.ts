/**
 * The client cell, on the page: Stepwise as an app uses it. `connect()` to a module SharedWorker
 * that calls `serve()` (bench/app.worker.ts, no-op one-step workflow, executor running), then,
 * timed from the page:
 * 1. `submits` sequential `submit` calls: runs/s and the round trip of each (the executor runs
 *    each run while the next is submitted, as in an app);
 * 2. (untimed) wait until they are all terminal;
 * 3. `statusCalls` sequential `status(runId)` calls on finished runs, executor idle;
 * 4. `burst` submits all in flight at once (the worker's committer may group them), and the
 *    time until (about) all of those runs are terminal (waits on the last 32 submitted);
 * 5. `idleSubmits` sequential submits to a second serve() worker that never executes: the page
 *    holds that database's executor lock, so the worker only serves. This is the submit round
 *    trip alone (RPC + validation + one strict transaction), without the executor's
 *    transactions in front of it.
 * One worker (and database) of each kind serves every rep: a fresh one per rep would leave idle
 * workers beside the other cells. Runs accumulate (a few thousand): every lookup is by key.
 */
import { connect, type StepwiseClient } from '../src/client.ts';
import { names } from '../src/rpc/protocol.ts';
import { PAD, sleep } from './loop.ts';
import type { ClientCellCommand, ClientCellResult } from './protocol.ts';
import { summarize, timerStepMs } from './stats.ts';

let app: StepwiseClient | undefined;
let servingOnly: Promise<StepwiseClient> | undefined;

function open(db: string): StepwiseClient {
  const url = new URL('./app.worker.ts', import.meta.url);
  url.searchParams.set('db', db);
  return connect({ url, name: db });
}

const freshDb = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

function client(): StepwiseClient {
  app ??= open(freshDb('bench-app'));
  return app;
}

/** A serve() worker that never becomes the executor: this page holds its executor lock for good. */
function servingOnlyClient(): Promise<StepwiseClient> {
  servingOnly ??= (async () => {
    const db = freshDb('bench-app-noexec');
    await new Promise<void>((granted) => {
      void navigator.locks.request(names.executorLock(db), () => {
        granted();
        return new Promise<never>(() => undefined);
      });
    });
    return open(db);
  })();
  return servingOnly;
}


const spec = () => ({ workflow: 'noop', input: { pad: PAD } });

/** Waits for every run (in order); returns how many succeeded. */
async function drain(c: StepwiseClient, ids: readonly string[]): Promise<number> {
  let ok = 0;
  for (const id of ids) if ((await c.wait(id, { timeoutMs: 60_000 })).status === 'succeeded') ok++;
  return ok;
}

export async function clientCell(cmd: ClientCellCommand): Promise<ClientCellResult> {
  const c = client();
  const mode = await c.mode;
  const warm: string[] = [];
  for (let i = 0; i < cmd.warmupCalls; i++) warm.push((await c.submit(spec())).runId);
  await drain(c, warm);
  for (let i = 0; i < cmd.warmupCalls; i++) await c.status(warm[i % warm.length]!);
  await sleep(cmd.settleMs);

  // 1. sequential submits
  const submitLat: number[] = [];
  const seqIds: string[] = [];
  const s0 = performance.now();
  for (let i = 0; i < cmd.submits; i++) {
    const a = performance.now();
    const r = await c.submit(spec());
    submitLat.push(performance.now() - a);
    seqIds.push(r.runId);
  }
  const seqMs = performance.now() - s0;
  let succeeded = await drain(c, seqIds);

  // 3. status round trips, executor idle
  const statusLat: number[] = [];
  const st0 = performance.now();
  for (let i = 0; i < cmd.statusCalls; i++) {
    const a = performance.now();
    await c.status(seqIds[i % seqIds.length]!);
    statusLat.push(performance.now() - a);
  }
  const statusMs = performance.now() - st0;

  // 4. burst
  const b0 = performance.now();
  const burst = await Promise.all(Array.from({ length: cmd.burst }, () => c.submit(spec())));
  const burstMs = performance.now() - b0;
  const burstIds = burst.map((r) => r.runId);
  // Claims are FIFO (same priority, ULIDs in arrival order) and 16 run at once, so the last 32
  // submitted are the last to end: their waits, in parallel, time "all terminal" without a
  // thousand sequential wait calls in the way. Every run is then checked (untimed).
  await Promise.all(burstIds.slice(-32).map((id) => c.wait(id, { timeoutMs: 60_000 })));
  const allTerminalMs = performance.now() - b0;
  succeeded += await drain(c, burstIds);

  // 5. sequential submits, no executor
  const idle = await servingOnlyClient();
  for (let i = 0; i < Math.min(cmd.warmupCalls, cmd.idleSubmits); i++) await idle.submit(spec());
  const idleLat: number[] = [];
  const i0 = performance.now();
  for (let i = 0; i < cmd.idleSubmits; i++) {
    const a = performance.now();
    await idle.submit(spec());
    idleLat.push(performance.now() - a);
  }
  const idleMs = performance.now() - i0;

  return {
    cell: cmd.cell,
    mode,
    pageTimerStepMs: timerStepMs(),
    submitSequential: { n: cmd.submits, ms: seqMs, runsPerSec: cmd.submits / (seqMs / 1000), latency: summarize(submitLat) },
    status: { n: cmd.statusCalls, ms: statusMs, callsPerSec: cmd.statusCalls / (statusMs / 1000), latency: summarize(statusLat) },
    submitNoExecutor: { n: cmd.idleSubmits, ms: idleMs, runsPerSec: cmd.idleSubmits / (idleMs / 1000), latency: summarize(idleLat) },
    burst: { n: cmd.burst, ms: burstMs, runsPerSec: cmd.burst / (burstMs / 1000), allTerminalMs, executedRunsPerSec: cmd.burst / (allTerminalMs / 1000) },
    succeeded,
  };
}
