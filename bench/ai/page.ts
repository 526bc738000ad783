/**
 * The AI benchmark's page (bench/ai/index.html). Playwright cannot reach a SharedWorker, so the
 * page relays overhead commands to overhead.worker.ts, and, for the second-tab cell, connects
 * to app.worker.ts with `connect()`: tab A submits, tab B watches and records what it saw.
 */
import { connect, type StepwiseClient } from '../../src/client.ts';
import type { OverheadCommand, OverheadResult, StreamOutput, WatchTrace } from './protocol.ts';

declare global {
  interface Window {
    aiBench: {
      overhead(cmd: OverheadCommand): Promise<OverheadResult>;
      /** Connects to the app worker (database `db`, API root `api`). */
      connectApp(db: string, api: string): Promise<void>;
      /** Tab A: submits a `stream` run and resolves with its output once it succeeded. */
      submitStream(runId: string, prompt: string): Promise<StreamOutput>;
      /** Tab B: starts recording the token progress of `runId`. */
      watch(runId: string): void;
      /** Tab B: what it saw, once the run is terminal. */
      watched(runId: string): Promise<WatchTrace>;
    };
  }
}

let overheadPort: MessagePort | undefined;
let app: StepwiseClient | undefined;
const traces = new Map<string, { trace: WatchTrace; done: Promise<void> }>();
const words = (text: string) => text.match(/\S+/g)?.length ?? 0;

window.aiBench = {
  overhead: (cmd) =>
    new Promise((resolve, reject) => {
      if (!overheadPort) {
        const worker = new SharedWorker(new URL('./overhead.worker.ts', import.meta.url), { type: 'module', name: 'stepwise-bench-ai' });
        worker.onerror = () => reject(new Error('the AI overhead worker failed to start'));
        overheadPort = worker.port;
      }
      overheadPort.onmessage = (e: MessageEvent<{ ok: boolean; result?: OverheadResult; error?: string }>) =>
        e.data.ok ? resolve(e.data.result!) : reject(new Error(e.data.error));
      overheadPort.postMessage(cmd);
    }),
  async connectApp(db, api) {
    const url = new URL('./app.worker.ts', import.meta.url);
    url.searchParams.set('db', db);
    url.searchParams.set('api', api);
    app = connect({ url, name: db });
    await app.list({ limit: 1 });
  },
  async submitStream(runId, prompt) {
    await app!.submit({ workflow: 'stream', input: { prompt }, runId });
    const o = await app!.wait(runId);
    if (o.status !== 'succeeded') throw new Error(`stream run ended ${o.status}: ${o.error ?? ''}`);
    return o.result as unknown as StreamOutput;
  },
  watch(runId) {
    const trace: WatchTrace = { at: [], words: [] };
    let stop = () => undefined as void;
    const done = new Promise<void>((resolve) => {
      stop = app!.watch(runId, (status) => {
        const p = status.progress as { kind?: string; text?: string } | undefined;
        if (p?.kind === 'tokens' && typeof p.text === 'string') {
          trace.at.push(performance.timeOrigin + performance.now());
          trace.words.push(words(p.text));
        }
        if (status.state === 'succeeded' || status.state === 'failed' || status.state === 'cancelled') resolve();
      });
    });
    traces.set(runId, { trace, done: done.then(() => stop()) });
  },
  async watched(runId) {
    const t = traces.get(runId)!;
    await t.done;
    return t.trace;
  },
};
document.title = 'ready';
