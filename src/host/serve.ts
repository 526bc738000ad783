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
import { isWorkflowError } from '../core/errors.ts';
import { installErrorTransfer } from '../rpc/errors.ts';
import { guardedEndpoint, type Port } from '../rpc/guard.ts';
import { PROTOCOL_VERSION, WORKER_METHODS, names, type ChannelMessage, type HelloOutcome, type ServingMessage } from '../rpc/protocol.ts';
import type { RuntimeOptions } from '../runtime/options.ts';
import { Runtime, runtimeInternals } from '../runtime/runtime.ts';
import { workerApi } from './api.ts';
import { buildOf, watchBuilds } from './builds.ts';
import { Callers } from './callers.ts';
import { isMovableClock, serveClockControl } from './clock-control.ts';
import { takeExecutorRole, type ExecutorRole } from './executor-role.ts';
import { holdForever, lockManager, type LockManagerLike } from './locks.ts';
import { linkPeers } from './peers.ts';

export type ServeOptions = Omit<RuntimeOptions, 'owner'>;

export interface WorkerHost {
  readonly instanceId: string;
  readonly mode: 'shared' | 'dedicated';
  /** Resolves with the runtime once the database is open. */
  readonly ready: Promise<Runtime>;
  /** Resolves when this instance becomes the executor. */
  readonly executing: Promise<void>;
}

/** Where pages connect: a SharedWorker's global scope (`onconnect`) or a dedicated worker's (a port itself). */
export interface WorkerScope extends Port {
  onconnect?: ((e: MessageEvent) => void) | null;
}

/** What a worker instance is given by its platform: the globals, injectable for tests. */
export interface HostEnv {
  scope: WorkerScope;
  /** A SharedWorker (ports arrive on `onconnect`) rather than a dedicated worker (the scope is the port). */
  shared: boolean;
  locks: LockManagerLike | undefined;
  /** The name the worker was started with (`names.worker`): carries the build id in development. */
  workerName: string;
  /** Ends this worker (releasing its locks). */
  close(): void;
}

/** A served instance, with what a test needs to end it. */
export interface HostHandle extends WorkerHost {
  /** Stops listening on every channel and closes the runtime (tests: what the worker's death does). */
  shutdown(): Promise<void>;
}

/**
 * Ports that connected to a SharedWorker before its module called `serve`, per scope. A
 * SharedWorker's connect events are dispatched once its module has run: a module that imports
 * `stepwise/worker` gets this handler at import, so each port that arrives before `serve` is told
 * `loaded` (the module ran, no `serve` yet) and kept for `serve` to adopt if it is called later.
 */
const early = new WeakMap<WorkerScope, MessagePort[]>();

/** Installs the early connect handler on a SharedWorker scope (done at import for the real one). */
export function catchEarlyPorts(scope: WorkerScope): void {
  if (early.has(scope)) return;
  const ports: MessagePort[] = [];
  early.set(scope, ports);
  scope.onconnect = (e: MessageEvent) => {
    for (const port of e.ports) {
      ports.push(port);
      port.postMessage({ stepwise: 'loaded', protocol: PROTOCOL_VERSION } satisfies ServingMessage);
    }
  };
}

const globalScope = globalThis as unknown as WorkerScope & { name?: string; close(): void };
const inSharedWorker = typeof (globalThis as { SharedWorkerGlobalScope?: unknown }).SharedWorkerGlobalScope === 'function' && 'onconnect' in globalScope;
if (inSharedWorker) catchEarlyPorts(globalScope);

/** How long a worker whose database failed to open keeps answering that failure before it ends itself. */
export const OPEN_FAILURE_CLOSE_MS = 1000;

export function serve(options: ServeOptions): WorkerHost {
  const scope = globalScope;
  const h = host({ scope, shared: inSharedWorker, locks: lockManager(), workerName: typeof scope.name === 'string' ? scope.name : '', close: () => scope.close() }, options);
  return { instanceId: h.instanceId, mode: h.mode, ready: h.ready, executing: h.executing };
}

/** `serve`, given its environment. */
export function host(env: HostEnv, options: ServeOptions): HostHandle {
  installErrorTransfer();
  const { scope, shared, locks } = env;
  const mode = shared ? 'shared' : 'dedicated';
  const db = options.name ?? 'stepwise';
  const instanceId = randomToken();
  const clock = isMovableClock(options.clock) ? options.clock : undefined;
  let executing = false;
  const hello = (): HelloOutcome => ({ protocol: PROTOCOL_VERSION, name: db, instanceId, aliveLock: names.aliveLock(db, instanceId), executing, mode });
  const cleanups: (() => void)[] = [];

  const ready = (async () => {
    // Every lock here is unique to this instance: granted at once, held until it dies. Taken
    // while the database opens (a few ms saved on every worker start): nothing claims before
    // `ready`, and pages only learn the alive lock from `hello`, which is answered after `ready` too.
    const lifeLocks = [names.ownerLock(db, instanceId), names.aliveLock(db, instanceId), ...(clock ? [names.clockLock(db, instanceId)] : [])];
    const held = locks ? Promise.all(lifeLocks.map((l) => holdForever(locks, l))) : undefined;
    const [, runtime] = await Promise.all([held, Runtime.open({ ...options, owner: instanceId })]);
    // A newer release upgraded the schema: this code is outdated. Stop claiming and end this
    // worker, which releases its locks: the newer worker takes the executor role, steps in
    // flight here fail their settlement (the connection is closed) and are redelivered there,
    // and pages of this release reconnect to a worker that answers `Outdated` (reload).
    const queue = runtimeInternals(runtime).ctx.queue;
    queue.store.onUpgradeElsewhere(() => {
      void runtime.stop({ drain: false });
      setTimeout(() => env.close(), 0);
    });
    cleanups.push(linkPeers(queue, db, instanceId, options.queueName ?? 'workflow-steps'));
    if (typeof BroadcastChannel !== 'undefined') {
      const events = new BroadcastChannel(names.eventsChannel(db));
      const off = runtime.subscribe((event) => events.postMessage({ kind: 'run', event } satisfies ChannelMessage));
      cleanups.push(() => (off(), events.close()));
    }
    return runtime;
  })();
  // Calls made before the database opened wait for it; a failure to open rejects them all. A
  // passing failure (storage trouble) also ends this worker once those calls have their answer:
  // otherwise the pages, which reconnect to the same live instance, would get the same rejection
  // forever; their next connection starts a fresh instance instead. A permanent failure (bad
  // options, a newer schema) keeps the worker, since a fresh one would fail the same way.
  ready.catch((e: unknown) => {
    if (isWorkflowError(e) && !e.isPermanent()) setTimeout(() => env.close(), OPEN_FAILURE_CLOSE_MS);
  });
  if (clock) cleanups.push(serveClockControl(clock, db, instanceId, ready));

  let role: ExecutorRole | undefined;
  const executingPromise = ready.then(async (runtime) => {
    if (!locks) {
      // No Web Locks: a single instance is assumed (time leases + fencing).
      await runtime.start();
      executing = true;
      return;
    }
    const r = (role = takeExecutorRole({
      locks,
      db,
      instanceId,
      runtime,
      clock: runtime.clock,
      knows: { workflows: Object.keys(options.workflows), hooks: (options.hooks ?? []).map((h) => h.name) }, // validated by `open`
      onChange: (now) => (executing = now),
    }));
    runtimeInternals(runtime).ctx.store.onUpgradeElsewhere(() => r.close());
    const build = buildOf(env.workerName);
    if (build !== undefined) cleanups.push(watchBuilds(db, instanceId, build, () => r.close()));
    await r.first;
  });
  executingPromise.catch(() => undefined);

  const api = workerApi(ready, hello, new Callers(locks, db));
  const serving: ServingMessage = { stepwise: 'serving', protocol: PROTOCOL_VERSION };
  if (shared) {
    const adopt = (port: MessagePort) => {
      expose(api, guardedEndpoint(port, WORKER_METHODS));
      port.postMessage(serving);
    };
    scope.onconnect = (e: MessageEvent) => e.ports.forEach(adopt);
    early.get(scope)?.splice(0).forEach(adopt);
  } else {
    expose(api, guardedEndpoint(scope, WORKER_METHODS));
    scope.postMessage(serving, []);
  }
  return {
    instanceId,
    mode,
    ready,
    executing: executingPromise,
    async shutdown() {
      for (const c of cleanups.splice(0)) c();
      role?.close();
      const runtime = await ready.catch(() => undefined);
      await runtime?.stop({ drain: false });
      if (runtime) runtimeInternals(runtime).ctx.store.close();
    },
  };
}
