/// <reference types="vite/client" />
/**
 * The resume benchmark page: an app page as shipped, i.e. `connect()` to the app worker (module
 * SharedWorker, or the per-tab dedicated worker with `?fallback=1`, which removes
 * `SharedWorker` first as on Chrome for Android), on the database `?db=`. bench/resume.ts drives
 * it through `window.resumeBench` (Playwright cannot see SharedWorkers, see docs/platform.md): the
 * client, the marks of the page and of every worker instance, and waits on those marks.
 */
import { pageMarks, waitFor, workers } from './page-marks.ts';
import { connect, type StepwiseClient } from '../../src/client.ts';
import { now, type MarksSnapshot, type WorkerMarks } from './marks.ts';
import workerUrl from './worker.ts?worker&url';

export interface ResumeBench {
  client: StepwiseClient;
  snapshot(): MarksSnapshot;
  /** Resolves with the marks of the worker whose runner entered `runId` at `attempt`. */
  waitRunner(runId: string, attempt: number, timeoutMs: number): Promise<WorkerMarks>;
  /** Resolves with the marks of a worker of this page's database that holds the executor role. */
  waitExecuting(timeoutMs: number): Promise<WorkerMarks>;
}

declare global {
  interface Window {
    resumeBench: ResumeBench;
  }
}

const params = new URL(location.href).searchParams;
const db = params.get('db') ?? 'resume-bench';
if (params.get('fallback') === '1') delete (window as { SharedWorker?: unknown }).SharedWorker;
const url = new URL(workerUrl, location.href);
url.searchParams.set('db', db);

pageMarks.connectCalled = now();
const client = connect({ url, name: db });
void client.mode.then((mode) => {
  pageMarks.connected = now();
  document.title = `ready ${mode}`;
});

const find = (pred: (w: WorkerMarks) => boolean) => [...workers.values()].find((w) => w.db === db && pred(w));

window.resumeBench = {
  client,
  snapshot: () => ({ page: pageMarks, workers: [...workers.values()] }),
  waitRunner: (runId, attempt, timeoutMs) =>
    waitFor(() => find((w) => w.runners.some((r) => r.runId === runId && r.attempt === attempt)), timeoutMs, `runner of ${runId} at attempt ${attempt}`),
  waitExecuting: (timeoutMs) => waitFor(() => find((w) => w.executing !== undefined), timeoutMs, 'an executing worker'),
};
