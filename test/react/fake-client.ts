/**
 * A client for the hook tests in the browser: the hooks' `RunsClient` over a real `Runtime` on
 * the page's real IndexedDB, its `watch` fed by the runtime's own run events. Stands in for
 * `connect()`, whose SharedWorker a Vitest browser page cannot host; the client's own watch
 * (BroadcastChannel, ordering, reconnects) is covered by the client's and the e2e suites.
 */
import type { RunsClient } from '../../src/react/stores.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';

export function runtimeClient(runtime: Runtime): RunsClient & { calls: { status: number; list: number; watching: number } } {
  const calls = { status: 0, list: 0, watching: 0 };
  return {
    calls,
    watch(runId, listener) {
      calls.watching++;
      const stop = runtime.subscribe((event) => {
        if (event.type === 'status' && (runId === '*' || event.status.runId === runId)) listener(event.status, event);
      });
      return () => {
        calls.watching--;
        stop();
      };
    },
    status: (runId) => (calls.status++, runtime.status(runId)),
    list: (query) => (calls.list++, runtime.list(query)),
  };
}
