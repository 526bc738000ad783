/**
 * `serve`: the whole of an app's worker entry.
 *
 *   import { serve } from 'stepwise/worker';
 *   serve({ name: 'app', workflows: { research } });
 *
 * The same module works as a SharedWorker (one per origin and database: every tab connects to
 * it) and as a dedicated Worker (the per-tab fallback where SharedWorker does not exist). Either
 * way the instance opens the runtime, serves the `WorkerApi` on every connecting port, and
 * queues for the executor lock: the holder claims and runs steps, the others serve reads and
 * writes against the database and wake the executor through a BroadcastChannel.
 */
import { expose } from 'comlink';
import { randomToken } from '../core/ids.ts';
import { installErrorTransfer } from '../rpc/errors.ts';
import { guardedEndpoint } from '../rpc/guard.ts';
import { PROTOCOL_VERSION, WORKER_METHODS, names, type ChannelMessage, type HelloOutcome } from '../rpc/protocol.ts';
import type { RuntimeOptions } from '../runtime/options.ts';
import { RuntimeCore } from '../runtime/runtime-core.ts';
import { workerApi } from './api.ts';
import { Callers } from './callers.ts';
import { takeExecutorRole } from './executor-role.ts';
import { holdForever, lockManager } from './locks.ts';
import { linkPeers } from './peers.ts';

export type ServeOptions = Omit<RuntimeOptions, 'owner'>;

export interface WorkerHost {
  readonly instanceId: string;
  readonly mode: 'shared' | 'dedicated';
  /** Resolves with the runtime once the database is open. */
  readonly ready: Promise<RuntimeCore>;
  /** Resolves when this instance becomes the executor. */
  readonly executing: Promise<void>;
}

interface WorkerScope {
  onconnect?: ((e: MessageEvent) => void) | null;
  addEventListener: MessagePort['addEventListener'];
  removeEventListener: MessagePort['removeEventListener'];
  postMessage: (message: unknown, transfer: Transferable[]) => void;
}

export function serve(options: ServeOptions): WorkerHost {
  installErrorTransfer();
  const scope = globalThis as unknown as WorkerScope;
  const shared = typeof (globalThis as { SharedWorkerGlobalScope?: unknown }).SharedWorkerGlobalScope === 'function' && 'onconnect' in scope;
  const mode = shared ? 'shared' : 'dedicated';
  const db = options.name ?? 'stepwise';
  const instanceId = randomToken();
  const locks = lockManager();
  let executing = false;
  const hello = (): HelloOutcome => ({ protocol: PROTOCOL_VERSION, instanceId, aliveLock: names.aliveLock(db, instanceId), executing, mode });

  const ready = (async () => {
    // Both locks are unique to this instance: granted at once, held until it dies. Taken while
    // the database opens (a few ms saved on every worker start): nothing claims before `ready`,
    // and pages only learn the alive lock from `hello`, which is answered after `ready` too.
    const held = locks ? Promise.all([holdForever(locks, names.ownerLock(db, instanceId)), holdForever(locks, names.aliveLock(db, instanceId))]) : undefined;
    const [, runtime] = await Promise.all([held, RuntimeCore.open({ ...options, owner: instanceId })]);
    // A newer release upgraded the schema (O-19): this code is outdated. Stop claiming and end
    // this worker, which releases its locks: the newer worker takes the executor role, steps in
    // flight here fail their settlement (the connection is closed) and are redelivered there,
    // and pages of this release reconnect to a worker that answers `Outdated` (reload).
    runtime.queue.store.onUpgradeElsewhere(() => {
      void runtime.stop({ drain: false });
      setTimeout(() => (globalThis as unknown as { close(): void }).close(), 0);
    });
    linkPeers(runtime.queue, db, instanceId, options.queueName ?? 'workflow-steps');
    if (typeof BroadcastChannel !== 'undefined') {
      const events = new BroadcastChannel(names.eventsChannel(db));
      runtime.subscribe((event) => events.postMessage({ kind: 'run', event } satisfies ChannelMessage));
    }
    return runtime;
  })();
  // Calls made before the database opened wait for it; a failure to open rejects them all.
  ready.catch(() => undefined);

  const executingPromise = ready.then(async (runtime) => {
    if (!locks) {
      // No Web Locks: a single instance is assumed (time leases + fencing).
      await runtime.start();
      executing = true;
      return;
    }
    const role = takeExecutorRole({
      locks,
      db,
      instanceId,
      runtime,
      clock: runtime.clock,
      knows: { workflows: Object.keys(options.workflows), hooks: (options.hooks ?? []).map((h) => h.name) }, // validated by `open`
      onChange: (now) => (executing = now),
    });
    runtime.queue.store.onUpgradeElsewhere(() => role.close());
    await role.first;
  });
  executingPromise.catch(() => undefined);

  const api = workerApi(ready, hello, new Callers(locks, db));
  if (shared) {
    scope.onconnect = (e: MessageEvent) => {
      for (const port of e.ports) expose(api, guardedEndpoint(port, WORKER_METHODS));
    };
  } else {
    expose(api, guardedEndpoint(scope, WORKER_METHODS));
  }
  return { instanceId, mode, ready, executing: executingPromise };
}
