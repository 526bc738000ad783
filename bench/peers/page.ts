/**
 * The peer benchmark page (cross-origin isolated: served with COOP/COEP). Everything measured
 * runs here, except workbox's queue, which runs in the service worker it is written for. The
 * driver (bench/peers.ts) calls `window.peersBench.run(cmd)` through `page.evaluate`.
 */
import { contextInfo } from './context.ts';
import type { HelloResult, PeerCommand } from './protocol.ts';
import { rawPut, stepwiseQueue, stepwiseSteps } from './stepwise-cells.ts';
import { serviceWorkerHello, workboxCell } from './workbox-client.ts';

async function hello(): Promise<HelloResult> {
  return {
    page: {
      ...contextInfo(),
      userAgent: navigator.userAgent,
      hardwareConcurrency: navigator.hardwareConcurrency,
      opfs: typeof navigator.storage?.getDirectory === 'function',
      sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    },
    serviceWorker: await serviceWorkerHello(),
  };
}

function run(cmd: PeerCommand): Promise<unknown> {
  if (cmd.kind === 'hello') return hello();
  // durably (and SQLocal, SQLite WASM) load on first use: if they cannot load here, only its cells fail.
  if (cmd.kind === 'steps') return cmd.cell.startsWith('durably') ? import('./durably-cell.ts').then((m) => m.durablyCell(cmd)) : stepwiseSteps(cmd);
  switch (cmd.cell) {
    case 'raw-put':
      return rawPut(cmd);
    case 'sqlocal-insert':
      return import('./sqlocal-cell.ts').then((m) => m.sqlocalInsertCell(cmd));
    case 'stepwise-queue':
      return stepwiseQueue(cmd);
    case 'raw-put-sw':
    case 'workbox-queue':
    case 'workbox-queue-nosync':
      return workboxCell(cmd);
  }
}

window.peersBench = { run };
