/** The `WorkerApi` served to pages: the runtime's methods, once it is open, plus test clock control. */
import { MockClock } from '../core/clock.ts';
import { WorkflowError, invalidArgument } from '../core/errors.ts';
import type { HelloOutcome, WorkerApi } from '../rpc/protocol.ts';
import type { RuntimeCore } from '../runtime/runtime-core.ts';
import type { Callers } from './callers.ts';

export function workerApi(ready: Promise<RuntimeCore>, hello: () => HelloOutcome, callers: Callers): WorkerApi {
  const rt = ready;
  const clock = async (): Promise<MockClock> => {
    const c = (await rt).clock;
    if (!(c instanceof MockClock)) throw new WorkflowError('InvalidState', 'this worker runs on the system clock: serve it with a MockClock to control time');
    return c;
  };
  const finiteMs = (ms: unknown): number => {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) throw invalidArgument('ms', 'must be a finite number', ms);
    return ms;
  };
  return {
    hello: async () => {
      await rt;
      return hello();
    },
    submit: async (spec) => (await rt).submit(spec),
    cancel: async (runId) => (await rt).cancel(runId),
    status: async (runId) => (await rt).status(runId),
    list: async (query) => (await rt).list(query),
    wait: async (runId, options, caller) => {
      const runtime = await rt;
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
    },
    sendEvent: async (key, payload) => (await rt).sendEvent(key, payload),
    clearEvent: async (key) => (await rt).clearEvent(key),
    deadJobs: async (query) => (await rt).deadJobs(query),
    requeueDead: async (jobId) => (await rt).requeueDead(jobId),
    history: async (runId) => (await rt).history(runId),
    advanceClock: async (ms) => {
      const c = await clock();
      if (finiteMs(ms) < 0) throw invalidArgument('ms', 'must be >= 0', ms);
      c.advance(ms);
      return c.now();
    },
    setClock: async (ms) => {
      const c = await clock();
      c.set(finiteMs(ms));
      return c.now();
    },
  };
}
