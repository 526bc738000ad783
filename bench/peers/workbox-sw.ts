/**
 * Peer queue: workbox-background-sync's `Queue`, in the service worker it is written for (it
 * reads `self.registration`, so it cannot run on a page). One cycle, one lane: `pushRequest` of a
 * POST Request with a ~200-byte JSON body (one readwrite transaction, then
 * `registration.sync.register` where the Background Sync API exists, unless `forceSyncFallback`)
 * → `shiftRequest` (a readonly cursor transaction for the oldest entry, then a readwrite delete;
 * the Request is rebuilt from the stored entry). `onSync` is a no-op so that a sync event never
 * replays (fetches and removes) the entries this loop is about to shift. The queue database is
 * workbox's fixed one ('workbox-background-sync'); every cell uses a new queue name in it.
 * The raw single-put cell runs here too ('raw-put-sw'), so workbox's figures can be set against
 * IndexedDB's floor in the same context.
 */
import './process-shim.ts';
import { Queue } from 'workbox-background-sync';
import { PAD, loopFigures, runLoop } from '../loop.ts';
import { rawPutCell } from '../raw-cells.ts';
import { summarize } from '../stats.ts';
import { contextInfo } from './context.ts';
import type { HelloResult, LoopCommand, LoopResult } from './protocol.ts';

type Extendable = Event & { waitUntil(p: Promise<unknown>): void };
interface ServiceWorkerScope {
  registration: { scope: string };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install', listener: (e: Extendable) => void): void;
  addEventListener(type: 'message', listener: (e: Extendable & MessageEvent) => void): void;
}
const sw = self as unknown as ServiceWorkerScope;

let queues = 0;

async function workboxCell(cmd: LoopCommand): Promise<LoopResult> {
  const q = new Queue(`peers-${cmd.cell}-${Date.now().toString(36)}-${queues++}`, {
    forceSyncFallback: cmd.cell === 'workbox-queue-nosync',
    onSync: () => undefined,
  });
  const push: number[] = [];
  const shift: number[] = [];
  let recording = false;
  let empty = 0;
  let n = 0;
  const loop = await runLoop(
    { kind: 'cell', cell: 'queue-lane1', durationMs: cmd.durationMs, maxOps: 1_000_000, warmupOps: cmd.warmupOps, settleMs: cmd.settleMs, lanes: 1 },
    async () => {
      const body = JSON.stringify({ n: n++, pad: PAD });
      const a = performance.now();
      await q.pushRequest({ request: new Request('/bench/peers/sink', { method: 'POST', body, headers: { 'content-type': 'application/json' } }) });
      const b = performance.now();
      const entry = await q.shiftRequest();
      const c = performance.now();
      if (!recording) return;
      if (!entry) empty++;
      push.push(b - a);
      shift.push(c - b);
    },
    () => (recording = true),
  );
  return {
    cell: cmd.cell,
    ...loopFigures(loop),
    parts: { push: summarize(push), shift: summarize(shift) },
    emptyDequeues: empty,
  };
}

async function rawPutHere(cmd: LoopCommand): Promise<LoopResult> {
  const loop = await rawPutCell({ kind: 'cell', cell: 'raw-put', durationMs: cmd.durationMs, maxOps: 1_000_000, warmupOps: cmd.warmupOps, settleMs: cmd.settleMs, lanes: 1 }, 1);
  return { cell: cmd.cell, ops: loop.ops, elapsedMs: loop.elapsedMs, opsPerSec: loop.ops / (loop.elapsedMs / 1000), latency: summarize(loop.samples) };
}

function hello(): HelloResult['serviceWorker'] {
  return { ...contextInfo(), syncManager: 'sync' in sw.registration, scope: sw.registration.scope };
}

sw.addEventListener('install', (e) => e.waitUntil(sw.skipWaiting()));

let chain: Promise<unknown> = Promise.resolve();

sw.addEventListener('message', (e) => {
  const port = e.ports[0];
  const cmd = e.data as { kind: 'hello' } | LoopCommand;
  if (!port) return;
  const done = (chain = chain.then(async () => {
    try {
      const result = cmd.kind === 'hello' ? hello() : cmd.cell === 'raw-put-sw' ? await rawPutHere(cmd) : await workboxCell(cmd);
      port.postMessage({ ok: true, result });
    } catch (err) {
      port.postMessage({ ok: false, error: err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err) });
    }
  }));
  // Keeps the worker alive until the reply is sent.
  e.waitUntil(done);
});
