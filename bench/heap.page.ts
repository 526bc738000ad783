/**
 * The page of bench/heap.ts: `connect()` to the serve() worker of bench/heap.worker.ts and
 * submit runs in batches for the driver, which calls `window.stepwiseHeap.batch(n)` through
 * `page.evaluate`. A batch submits n runs at once and resolves when every one is terminal
 * (`wait()` on each, in parallel). `?watch=one|all` also keeps a `watch()` open (one run, or
 * '*'), as an app showing runs would, which opens the client's events channel.
 */
import { connect } from '../src/client.ts';

export interface HeapBridge {
  batch(n: number): Promise<{ submitted: number; succeeded: number; ms: number }>;
}

declare global {
  interface Window {
    stepwiseHeap?: HeapBridge;
  }
}

const params = new URL(location.href).searchParams;
const db = params.get('db') ?? 'bench-heap';
const url = new URL('./heap.worker.ts', import.meta.url);
url.searchParams.set('db', db);
const client = connect({ url, name: db });
const watch = params.get('watch');
let watched = false;

window.stepwiseHeap = {
  async batch(n) {
    const t0 = performance.now();
    const ids = (await Promise.all(Array.from({ length: n }, (_, i) => client.submit({ workflow: 'twoSteps', input: { i } })))).map((r) => r.runId);
    if (!watched && watch !== null && watch !== 'none') {
      watched = true;
      client.watch(watch === 'all' ? '*' : ids[0]!, () => undefined);
    }
    const outcomes = await Promise.all(ids.map((id) => client.wait(id, { timeoutMs: 120_000 })));
    return { submitted: ids.length, succeeded: outcomes.filter((o) => o.status === 'succeeded').length, ms: performance.now() - t0 };
  },
};
