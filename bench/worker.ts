/**
 * The benchmark's module SharedWorker: every measured line runs here, the way Stepwise's own
 * worker will run. Each port message is one command; the reply is its JSON result.
 * Commands run one at a time (a second one waits), so cells never overlap.
 */
import { installTxCounter, txCounter } from './instrument.ts';
import type { LoopOutcome } from './loop.ts';
import { profileCycles } from './profile.ts';
import type { CellCommand, CellResult, Command, HelloResult, Reply } from './protocol.ts';
import { queueCell, queueChainCell, type QueueLoopOutcome } from './queue-cells.ts';
import { rawCycleCell, rawPutCell } from './raw-cells.ts';
import { runtimeCell } from './runtime-cells.ts';
import { profileTransitions } from './runtime-profile.ts';
import { sliceMeans, summarize, timerStepMs } from './stats.ts';

installTxCounter();


function hello(): HelloResult {
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    timerStepMs: timerStepMs(),
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
  };
}

function cellResult(cmd: CellCommand, loop: LoopOutcome, recordsPerOp: number, txs: number): CellResult {
  return {
    cell: cmd.cell,
    ops: loop.ops,
    records: loop.ops * recordsPerOp,
    elapsedMs: loop.elapsedMs,
    opsPerSec: loop.ops / (loop.elapsedMs / 1000),
    recordsPerSec: (loop.ops * recordsPerOp) / (loop.elapsedMs / 1000),
    latency: summarize(loop.samples),
    decileMeansMs: sliceMeans(loop.samples),
    readwriteTransactions: txs,
  };
}

async function runCell(cmd: CellCommand): Promise<CellResult> {
  // `mark` runs when the timed window opens, so warm-up transactions are not counted.
  let before = 0;
  const mark = () => {
    before = txCounter.readwrite;
  };
  switch (cmd.cell) {
    case 'raw-put':
    case 'raw-put-16lanes': {
      const loop = await rawPutCell(cmd, 1, mark);
      return cellResult(cmd, loop, 1, txCounter.readwrite - before);
    }
    case 'raw-batch100': {
      const loop = await rawPutCell(cmd, 100, mark);
      return cellResult(cmd, loop, 100, txCounter.readwrite - before);
    }
    case 'raw-cycle':
    case 'raw-cycle-lean': {
      const loop = await rawCycleCell(cmd, mark, cmd.cell === 'raw-cycle-lean');
      return cellResult(cmd, loop, 1, txCounter.readwrite - before);
    }
    case 'queue-lane1':
    case 'queue-16lanes':
    case 'queue-chain-lane1': {
      const loop = await (cmd.cell === 'queue-chain-lane1' ? queueChainCell : queueCell)(cmd, mark);
      return queueResult(cmd, loop, txCounter.readwrite - before);
    }
  }
}

function queueResult(cmd: CellCommand, loop: QueueLoopOutcome, txs: number): CellResult {
  const result: CellResult = { ...cellResult(cmd, loop, 1, txs), emptyClaims: loop.emptyClaims };
  if (cmd.lanes === 1) {
    if (loop.enqueue.length > 0) result.enqueue = summarize(loop.enqueue);
    result.claim = summarize(loop.claim);
    result.ack = summarize(loop.ack);
    result.perTransaction = summarize([...loop.enqueue, ...loop.claim, ...loop.ack]);
    result.stepDecileMeansMs = { enqueue: sliceMeans(loop.enqueue), claim: sliceMeans(loop.claim), ack: sliceMeans(loop.ack) };
  }
  return result;
}

async function dispatch(cmd: Command): Promise<unknown> {
  switch (cmd.kind) {
    case 'hello':
      return hello();
    case 'cell':
      return runCell(cmd);
    case 'profile':
      return profileCycles(cmd.cycles);
    case 'runtime':
      return runtimeCell(cmd);
    case 'transition-profile':
      return profileTransitions(cmd.steps);
    case 'client':
      throw new Error('client cells run on the page (bench/client-cells.ts), not in this worker');
  }
}

let chain: Promise<unknown> = Promise.resolve();

function serve(port: MessagePort): void {
  port.onmessage = (e: MessageEvent<{ id: number; cmd: Command }>) => {
    const { id, cmd } = e.data;
    chain = chain.then(async () => {
      let reply: Reply;
      try {
        reply = { id, ok: true, result: await dispatch(cmd) };
      } catch (err) {
        reply = { id, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err) };
      }
      port.postMessage(reply);
    });
  };
  port.start();
}

// DOM's lib types `self` as a Window; this file only ever runs as a SharedWorker.
const scope = self as unknown as { onconnect: ((e: MessageEvent) => void) | null };
scope.onconnect = (e) => {
  const port = e.ports[0];
  if (port) serve(port);
};
