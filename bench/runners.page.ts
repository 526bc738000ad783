/** Relays one runner-overhead command to bench/runners.worker.ts (Playwright cannot reach a SharedWorker). */
import type { RunnerBenchCommand, RunnerBenchResult } from './runners.worker.ts';

declare global {
  interface Window {
    runnerBench(cmd: RunnerBenchCommand): Promise<RunnerBenchResult>;
  }
}

window.runnerBench = (cmd) =>
  new Promise((resolve, reject) => {
    const worker = new SharedWorker(new URL('./runners.worker.ts', import.meta.url), { type: 'module', name: 'stepwise-bench-runners' });
    worker.onerror = () => reject(new Error('the runner benchmark worker failed to start'));
    worker.port.onmessage = (e: MessageEvent<{ ok: boolean; result?: RunnerBenchResult; error?: string }>) =>
      e.data.ok ? resolve(e.data.result!) : reject(new Error(e.data.error));
    worker.port.postMessage(cmd);
  });
document.title = 'ready';
