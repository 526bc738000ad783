/**
 * `connect`: the page side. A typed client with the runtime's methods plus `watch` and
 * `close`, that reconnects by itself when its worker dies. No Dexie, no runtime code: calls
 * cross to the worker, run events arrive on a BroadcastChannel.
 *
 * A call in flight when the worker dies rejects with `Unavailable` (transient) instead of
 * hanging; the client is already reconnecting, and re-issuing the call is safe (submissions
 * are idempotent on run id and input).
 */
import { WorkflowError, invalidArgument, isPermanentName } from '../core/errors.ts';
import type { RunEvent, RunStatus } from '../core/types.ts';
import { randomToken } from '../core/ids.ts';
import { installErrorTransfer } from '../rpc/errors.ts';
import { RUN_METHODS, callerLockName, eventsChannelName, type ChannelMessage, type RunApi, type WorkerApi } from '../rpc/protocol.ts';
import { openConnection, unavailable, type Connection } from './connection.ts';
import { browserEnv, type ClientEnv } from './env.ts';
import type { TypedStepwiseClient, WorkflowMap } from './typed.ts';
import type { ConnectOptions, StepwiseClient, WatchListener } from './client-types.ts';

export type { ConnectOptions, StepwiseClient, WatchListener } from './client-types.ts';

/** Statuses kept for runs no one watches by id (see `remember`). */
const MAX_REMEMBERED = 1000;

/** How long a worker module may take to call `serve` before an attempt fails saying so. */
const SERVE_TIMEOUT_MS = 5_000;

/**
 * `connect`, typed by the worker's workflows: `connect<typeof workflows>(…)` with
 * `import type { workflows } from './worker'` (types only: no worker code reaches the page).
 * `submit` then takes registered names and their input types, and `wait`/`status`/`watch`
 * type results by workflow. The same client at run time. @see TypedStepwiseClient
 */
// Without a type argument `W` is `never` and this signature refuses every call, so `connect(…)`
// gets the untyped one below (the last, which is also what `ReturnType<typeof connect>` reads).
export function connect<W extends WorkflowMap = never>(options: [W] extends [never] ? never : ConnectOptions): TypedStepwiseClient<W>;
export function connect(options: ConnectOptions): StepwiseClient;
export function connect(options: ConnectOptions): StepwiseClient {
  return connectWith(browserEnv(), options);
}

/** `connect`, given its environment (the browser's, or a test's). */
export function connectWith(env: ClientEnv, options: ConnectOptions): StepwiseClient {
  if (typeof options !== 'object' || options === null || (typeof options.url !== 'string' && !(options.url instanceof URL))) {
    throw invalidArgument('connect options', 'need a worker `url`', options);
  }
  installErrorTransfer();
  const db = options.name ?? 'stepwise';
  const connOptions = {
    url: options.url,
    db,
    extendedLifetime: options.extendedLifetime === true,
    type: options.type ?? 'module',
    helloTimeoutMs: 15_000,
    serveTimeoutMs: SERVE_TIMEOUT_MS,
    env,
  };
  let closed = false;
  let reconnects = 0;
  let current: Promise<Connection>;

  // Invariant: `current` is never a rejected attempt while a next one is due. After a failed
  // attempt the next one, its 250 ms pause included, becomes `current` at once, so a call made
  // meanwhile waits for it (bounded: one pause plus one attempt's hello timeout). Were the
  // rejected promise kept during the pause, a caller retrying `Unavailable` straight away (as
  // the docs invite) would spin on microtasks, the pause's timer would never fire, and the page
  // would hang for good.
  const open = (pauseMs = 0): Promise<Connection> => {
    const p = (pauseMs > 0 ? new Promise<void>((r) => setTimeout(r, pauseMs)) : Promise.resolve()).then(() => {
      if (closed) throw unavailable('the client was closed');
      return openConnection(connOptions);
    });
    p.then(
      (c) =>
        void c.dead.then(() => {
          if (closed || current !== p) return;
          reconnects++;
          current = open();
          // A fresh worker may have missed what happened while none ran: refresh watchers.
          void current.then(refreshWatchers, () => undefined);
        }),
      (e: unknown) => {
        // A permanent failure (an outdated release, a worker serving another database name, a
        // worker whose runtime refused its options) will not get better by retrying: every call
        // rejects with it until the page's code changes (or reloads).
        const name = (e as { name?: unknown } | null)?.name;
        if (typeof name === 'string' && isPermanentName(name)) return;
        if (!closed && current === p) current = open(250);
      },
    );
    return p;
  };
  current = open();

  // The caller lock: held while this client is open, so the worker can drop its waits once the
  // client is gone (closed, or its page reloaded or crashed). Taken at the first wait.
  const locks = env.locks;
  const caller = callerLockName(db, randomToken());
  let callerHeld: Promise<string | undefined> | undefined;
  let releaseCaller: (() => void) | undefined;
  const holdCaller = (): Promise<string | undefined> =>
    (callerHeld ??= locks
      ? new Promise<string | undefined>((granted) => {
          locks
            .request(caller, () => {
              if (closed) return granted(undefined); // closed meanwhile: release at once
              granted(caller);
              return new Promise<void>((r) => (releaseCaller = r));
            })
            .catch(() => granted(undefined));
        })
      : Promise.resolve(undefined));

  const call = async <K extends keyof WorkerApi>(method: K, ...args: Parameters<WorkerApi[K]>): Promise<Awaited<ReturnType<WorkerApi[K]>>> => {
    if (closed) throw unavailable('the client was closed');
    const c = await current;
    return c.call(method, args).then(
      (v) => v as Awaited<ReturnType<WorkerApi[K]>>,
      (e: unknown) => {
        throw notCloneable(method, e);
      },
    );
  };

  // ---- watch ----
  const watchers = new Map<string, Set<WatchListener>>();
  const last = new Map<string, RunStatus>();
  /** Runs whose status is being fetched because progress arrived first. */
  const pending = new Set<string>();
  let channel: BroadcastChannel | undefined;
  /**
   * The latest status seen per run, to order late snapshots and to attach progress. Bounded:
   * runs nobody watches by id are forgotten first, oldest first (a '*' watcher sees every run).
   */
  const remember = (status: RunStatus) => {
    last.delete(status.runId);
    last.set(status.runId, status);
    if (last.size <= MAX_REMEMBERED) return;
    for (const runId of last.keys()) {
      if (!watchers.has(runId)) {
        last.delete(runId);
        return;
      }
    }
  };
  const deliver = (status: RunStatus, event: RunEvent) => {
    remember(status);
    for (const key of [status.runId, '*']) for (const l of watchers.get(key) ?? []) safeCall(l, status, event);
  };
  const onMessage = (ev: MessageEvent<ChannelMessage>) => {
    const m = ev.data;
    if (m?.kind !== 'run') return;
    const e = m.event;
    if (e.type === 'status') {
      const prev = last.get(e.status.runId);
      if (prev && prev.updatedAt > e.status.updatedAt) return; // an older snapshot arriving late
      deliver(e.status, e);
    } else {
      const prev = last.get(e.runId);
      if (prev && prev.stepNumber === e.stepNumber) deliver({ ...prev, progress: e.update }, e);
      // Progress of a run not seen yet (a watcher of '*', or one that just subscribed): fetch
      // its status once, so the first tokens are not lost; later ones flow through `prev`.
      else if (!prev && (watchers.has(e.runId) || watchers.has('*')) && !pending.has(e.runId)) {
        pending.add(e.runId);
        void refresh(e.runId).finally(() => pending.delete(e.runId));
      }
    }
  };
  const refresh = async (runId: string) => {
    const s = await call('status', runId).catch(() => undefined);
    if (s) deliver(s, { type: 'status', status: s });
  };
  const refreshWatchers = () => {
    for (const runId of watchers.keys()) if (runId !== '*') void refresh(runId);
  };

  // One method per `RunApi` method, each a call to the worker; `wait` also names its caller.
  const forwarded = Object.fromEntries(RUN_METHODS.map((m) => [m, (...args: unknown[]) => call(m, ...(args as Parameters<WorkerApi[typeof m]>))])) as unknown as RunApi;
  const client: StepwiseClient = {
    ...forwarded,
    wait: async (runId, o) => call('wait', runId, o, await holdCaller()),
    name: db,
    watch(runId, listener) {
      if (typeof runId !== 'string' || typeof listener !== 'function') throw invalidArgument('watch', 'takes a run id (or "*") and a listener');
      if (!channel && typeof BroadcastChannel !== 'undefined') {
        channel = new BroadcastChannel(eventsChannelName(db));
        channel.onmessage = onMessage;
      }
      let set = watchers.get(runId);
      if (!set) watchers.set(runId, (set = new Set()));
      set.add(listener);
      if (runId !== '*') void refresh(runId);
      return () => {
        set.delete(listener);
        if (set.size === 0) {
          watchers.delete(runId);
          if (runId !== '*') last.delete(runId);
        }
      };
    },
    get mode() {
      return current.then((c) => c.hello.mode);
    },
    get reconnects() {
      return reconnects;
    },
    close() {
      closed = true;
      releaseCaller?.();
      channel?.close();
      watchers.clear();
      void current.then((c) => c.close(), () => undefined);
    },
  };
  return client;
}

/**
 * Every client error has a Stepwise name, this one included: an argument that structured clone
 * refuses (a function, a Symbol, a DOM node, anywhere inside it) makes comlink's `postMessage`
 * throw a bare `DataCloneError` DOMException. Nothing was sent (the clone fails before the
 * message leaves), so nothing was written: it is the caller's payload that is wrong, hence
 * `InvalidPayload`, as the
 * worker answers for values that clone but are not JSON (undefined, NaN, a Date, a BigInt).
 * Mapped here rather than pre-cloning every argument, which would copy each payload twice.
 */
function notCloneable(method: string, e: unknown): unknown {
  if ((e as { name?: unknown } | null)?.name !== 'DataCloneError') return e;
  const why = (e as { message?: unknown }).message;
  return new WorkflowError('InvalidPayload', `an argument of ${method}() cannot be sent to the worker: it is not plain data${typeof why === 'string' ? ` (${why})` : ''}`, {
    what: `${method} arguments`,
    cause: 'DataCloneError',
  });
}

function safeCall(l: WatchListener, s: RunStatus, e: RunEvent): void {
  try {
    l(s, e);
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

