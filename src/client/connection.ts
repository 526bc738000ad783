/**
 * One live connection to a worker instance: the comlink proxy, the worker's hello, and a
 * `dead` promise that settles when that instance is gone. Death is learned from a Web Lock:
 * the worker holds its alive lock for life, the page queues on it and is granted it the moment
 * the worker dies (a crashed creator tab gives no port event at all: docs/platform.md).
 */
import { releaseProxy, wrap, type Remote } from 'comlink';
import { WorkflowError } from '../core/errors.ts';
import { PROTOCOL_VERSION, isServingMessage, workerName, type HelloOutcome, type WorkerApi } from '../rpc/protocol.ts';
import type { ClientEnv } from './env.ts';

export interface ConnectionOptions {
  url: string | URL;
  db: string;
  extendedLifetime: boolean;
  type: WorkerType;
  /** How long the worker may take to answer its first call (opening the database included). */
  helloTimeoutMs: number;
  /**
   * How long a module that ran without calling `serve` (it imported `stepwise/worker`, which
   * says `loaded` on the port once the module ran) may still take to call it: a module that
   * forgot it fails the attempt this soon after loading, with a message that says so, instead of
   * after `helloTimeoutMs`.
   */
  serveTimeoutMs: number;
  env: ClientEnv;
}

export interface Connection {
  hello: HelloOutcome;
  /** Resolves when the worker behind this connection is gone. */
  dead: Promise<void>;
  /** Calls `method` on the worker; rejects `Unavailable` if the worker dies before answering. */
  call(method: keyof WorkerApi, args: readonly unknown[]): Promise<unknown>;
  close(): void;
}

/**
 * When a new port's hello goes unanswered this long, knock again on a fresh port (then after
 * twice as long, and so on, within `helloTimeoutMs`). See `openConnection`.
 */
const REKNOCK_FIRST_MS = 500;

/** One `new SharedWorker()` (or dedicated Worker) and the hello sent over it. */
interface Knock {
  api: Remote<WorkerApi>;
  hello: Promise<HelloOutcome>;
  /** Set once this knock lost the race (or the connection failed): its events no longer count. */
  retired: boolean;
  close(): void;
}

export async function openConnection(o: ConnectionOptions): Promise<Connection> {
  let markDead!: () => void;
  let isDead = false;
  const dead = new Promise<void>((r) => (markDead = () => ((isDead = true), r())));
  const { shared } = o.env;
  let serving = false;
  let noServe: ReturnType<typeof setTimeout> | undefined;
  let loaded = (): void => undefined;
  const servingSeen = () => clearTimeout(noServe);
  const name = workerName(o.db, shared && o.extendedLifetime, o.env.build);
  const knock = (): Knock => {
    const k = { retired: false } as Knock;
    const w = o.env.spawn(o.url, { type: o.type, name, extendedLifetime: shared && o.extendedLifetime });
    w.onError(() => k.retired || markDead());
    const onServing = (ev: Event) => {
      const m: unknown = (ev as MessageEvent).data;
      if (!isServingMessage(m)) return;
      if (m.stepwise === 'loaded') return loaded();
      serving = true;
      servingSeen();
      w.endpoint.removeEventListener('message', onServing);
    };
    w.endpoint.addEventListener('message', onServing);
    k.api = wrap<WorkerApi>(w.endpoint);
    k.hello = k.api.hello();
    k.hello.catch(() => undefined); // a loser's hello may reject after the race is decided
    k.close = () => {
      k.retired = true;
      w.endpoint.removeEventListener('message', onServing);
      k.api[releaseProxy]();
      w.terminate();
    };
    return k;
  };

  // Invariant: an unanswered hello never holds a page for the whole `helloTimeoutMs`. A page that
  // constructs its SharedWorker in the ~100 ms after the worker's creator tab crashed can be
  // attached to the dead instance before Chromium has torn it down: that port is silent forever
  // (no error, no reply), and without a reply the page cannot learn the dead instance's alive
  // lock to notice its death. So while the hello goes unanswered, knock again
  // on a fresh port (0.5 s, then 1, 2, 4 s later) and take the first answer: a fresh port after
  // the teardown starts a new instance; a healthy worker that is merely slow to open (cold
  // start, database upgrade) gets extra ports to the same instance, which are closed unused.
  // A dedicated worker is this page's own: no stale instance to miss, so no second knock.
  // (A knock that joins a stale instance never gets the `serving` message either: a later knock
  // that does clears the no-serve timer.)
  const knocks: Knock[] = [knock()];
  const timers: ReturnType<typeof setTimeout>[] = [];
  let won: Knock | undefined;
  const { k, hello } = await new Promise<{ k: Knock; hello: HelloOutcome }>((resolve, reject) => {
    const race = (k: Knock) =>
      void k.hello.then((hello) => {
        if (won) return;
        won = k;
        resolve({ k, hello });
      }, reject);
    race(knocks[0]!);
    void dead.then(() => reject(unavailable('the worker failed to start')));
    timers.push(setTimeout(() => reject(silent(o.url, o.helloTimeoutMs)), o.helloTimeoutMs));
    // The module ran without calling `serve` (it said `loaded`): give a `serve` called after an
    // await at its top level `serveTimeoutMs` more, then say what is missing.
    loaded = () => {
      if (serving || noServe !== undefined) return;
      noServe = setTimeout(() => serving || reject(notServing(o.url, o.serveTimeoutMs)), o.serveTimeoutMs);
      timers.push(noServe);
    };
    if (shared) {
      for (let at = REKNOCK_FIRST_MS, gap = REKNOCK_FIRST_MS; at < o.helloTimeoutMs; gap *= 2, at += gap) {
        timers.push(
          setTimeout(() => {
            const k = knock();
            knocks.push(k);
            race(k);
          }, at),
        );
      }
    }
  }).finally(() => {
    for (const t of timers) clearTimeout(t);
    for (const k of knocks) if (k !== won) k.close();
  });
  if (hello.protocol !== PROTOCOL_VERSION) {
    k.close();
    throw new WorkflowError('InvalidState', `the worker speaks protocol ${hello.protocol}, this page ${PROTOCOL_VERSION}: reload the page`);
  }
  if (hello.name !== undefined && hello.name !== o.db) {
    k.close();
    throw nameMismatch(o.db, hello.name);
  }
  const locks = o.env.locks;
  // Granted only once the worker (the holder) is gone; released at once. Withdrawn by `close`,
  // so a closed connection leaves no request queued behind a worker that may live for long.
  const withdraw = new AbortController();
  locks?.request(hello.aliveLock, { signal: withdraw.signal }, () => markDead()).catch(() => undefined);
  // The calls in flight, rejected together when the worker dies: ONE reaction on `dead`, not one
  // per call (a reaction per call stayed attached to `dead`, pending for the worker's whole life,
  // with the call's arguments and comlink proxy: bench/heap.ts, +13 MB on the page after 10,000 runs).
  const inFlight = new Set<(e: unknown) => void>();
  void dead.then(() => {
    for (const fail of inFlight) fail(unavailable('the worker died during the call'));
  });
  // comlink makes a new proxy on every property read: one per method is enough.
  const methods = new Map<string, (...a: readonly unknown[]) => Promise<unknown>>();
  return {
    hello,
    dead,
    call(method, args) {
      let send = methods.get(method);
      if (!send) methods.set(method, (send = k.api[method] as unknown as (...a: readonly unknown[]) => Promise<unknown>));
      const sending = send;
      // A call that reaches a connection already known dead (it was picked before the death was
      // learned) would go to a port no one reads: it fails like a call the death interrupted.
      if (isDead) return Promise.reject(unavailable('the worker died during the call'));
      return new Promise((resolve, reject) => {
        const settle = (done: () => void) => {
          inFlight.delete(fail);
          done();
        };
        const fail = (e: unknown) => settle(() => reject(e));
        inFlight.add(fail);
        (async () => sending(...args))().then((v) => settle(() => resolve(v)), fail);
      });
    },
    close() {
      withdraw.abort();
      markDead();
      k.close();
    },
  };
}

/**
 * The worker serves another database than the client asked for: its run events go to a channel
 * the client does not listen on (`watch` would receive nothing) and its waits refuse the
 * client's caller lock. Permanent: the page's code must change.
 */
function nameMismatch(asked: string, served: string): WorkflowError {
  const given = (n: string) => (n === 'stepwise' ? `'stepwise' (the default, when name is left out)` : `'${n}'`);
  return new WorkflowError(
    'InvalidArgument',
    `connect() asked for the database ${given(asked)} but the worker's serve() serves ${given(served)}: pass the same name to connect({ name }) and serve({ name })`,
    { what: 'name', value: asked, served },
  );
}

/** The module started as the worker ran without calling `serve`. Transient: a late `serve` is still adopted. */
function notServing(url: string | URL, ms: number): WorkflowError {
  return new WorkflowError(
    'Unavailable',
    `the Stepwise worker is unavailable: the worker module ${String(url)} loaded but did not call serve() within ${ms} ms. ` +
      `The module given to connect({ url }) must call serve({ name, workflows }) from 'stepwise/worker' when it loads`,
    { what: 'worker module', url: String(url) },
  );
}

/** No answer at all: a module still loading, one that does not import `stepwise/worker`, or a stuck worker. */
function silent(url: string | URL, ms: number): WorkflowError {
  return new WorkflowError(
    'Unavailable',
    `the Stepwise worker is unavailable: the worker did not answer within ${ms} ms. If this lasts, check that connect({ url }) names ` +
      `the module that calls serve() from 'stepwise/worker' (${String(url)}); retry the call`,
    { what: 'worker module', url: String(url) },
  );
}

export function unavailable(why: string): WorkflowError {
  return new WorkflowError('Unavailable', `the Stepwise worker is unavailable: ${why}; retry the call`);
}
