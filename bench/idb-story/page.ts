/** The page: starts the benchmark SharedWorker and relays the driver's commands to it (Playwright cannot see SharedWorkers). */
import type { Command, Reply } from './protocol.ts';

declare global {
  interface Window {
    idbStory?: { run(cmd: Command): Promise<unknown> };
  }
}

const worker = new SharedWorker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'stepwise-idb-story' });
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
  failure = new Error('the idb-story SharedWorker failed to start (error event)');
  for (const p of pending.values()) p.reject(failure);
  pending.clear();
};
worker.port.start();

window.idbStory = {
  run(cmd: Command): Promise<unknown> {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.port.postMessage({ id, cmd });
    });
  },
};
