/**
 * The benchmark page: starts the module SharedWorker and relays commands to it. The driver
 * (bench/run.ts) calls `window.stepwiseBench.run(cmd)` through `page.evaluate`, since
 * Playwright cannot see SharedWorkers (see docs/platform.md). Client cells are the exception: they
 * run here, on the page, against their own `serve()` worker (bench/client-cells.ts).
 */
import { clientCell } from './client-cells.ts';
import type { Command, Reply } from './protocol.ts';

export interface BenchBridge {
  run(cmd: Command): Promise<unknown>;
}

declare global {
  interface Window {
    stepwiseBench?: BenchBridge;
  }
}

const worker = new SharedWorker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'stepwise-bench' });
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextId = 1;
let failure: Error | undefined;

worker.port.onmessage = (e: MessageEvent<Reply>) => {
  const reply = e.data;
  const p = pending.get(reply.id);
  if (!p) return;
  pending.delete(reply.id);
  if (reply.ok) p.resolve(reply.result);
  else p.reject(new Error(reply.error));
};
worker.onerror = () => {
  // The only signal of a worker that failed to load (a syntax or import error); no details.
  failure = new Error('the benchmark SharedWorker failed to start (error event)');
  for (const p of pending.values()) p.reject(failure);
  pending.clear();
};
worker.port.start();

window.stepwiseBench = {
  run(cmd: Command): Promise<unknown> {
    if (cmd.kind === 'client') return clientCell(cmd);
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.port.postMessage({ id, cmd });
    });
  },
};
