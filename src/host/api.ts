/**
 * The `WorkerApi` served to pages, derived from `RUN_METHODS`: each runtime method is forwarded
 * once the runtime is open; `hello` and `wait` (which ties the wait to its caller) are the only
 * ones written out. Test controls are not part of it (see clock-control.ts).
 */
import type { RunOutcome } from '../core/types.ts';
import { RUN_METHODS, type HelloOutcome, type RunApi, type WorkerApi } from '../rpc/protocol.ts';
import type { Callers } from './callers.ts';

/** What the host needs of a runtime: every `RunApi` method, and `wait` with a signal. */
export type HostedRuntime = Omit<RunApi, 'wait'> & {
  wait(runId: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<RunOutcome>;
};

type Forwarded = (...args: unknown[]) => Promise<unknown>;

export function workerApi(ready: Promise<HostedRuntime>, hello: () => HelloOutcome, callers: Callers): WorkerApi {
  const api: Record<string, Forwarded> = {};
  for (const method of RUN_METHODS) {
    api[method] = async (...args) => ((await ready)[method] as Forwarded)(...args);
  }
  const wait: WorkerApi['wait'] = async (runId, options, caller) => {
    const runtime = await ready;
    const lease = callers.use(caller);
    try {
      // Only `timeoutMs` crosses the port: the signal is the worker's own, tied to the caller.
      const signal = lease.signal ? { signal: lease.signal } : {};
      const timeout = typeof options === 'object' && options !== null && options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {};
      const o = options === undefined || (typeof options === 'object' && options !== null) ? { ...timeout, ...signal } : options; // a wrong type is refused by `wait`
      return await runtime.wait(runId, o);
    } finally {
      lease.done();
    }
  };
  const greet: WorkerApi['hello'] = async () => {
    await ready;
    return hello();
  };
  return Object.assign(api, { wait, hello: greet }) as unknown as WorkerApi;
}
