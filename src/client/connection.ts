/**
 * One live connection to a worker instance: the comlink proxy, the worker's hello, and a
 * `dead` promise that settles when that instance is gone. Death is learned from a Web Lock:
 * the worker holds its alive lock for life, the page queues on it and is granted it the moment
 * the worker dies (a crashed creator tab gives no port event at all: PLATFORM.md G4).
 */
import { releaseProxy, wrap, type Remote } from 'comlink';
import { WorkflowError } from '../core/errors.ts';
import { PROTOCOL_VERSION, names, type HelloOutcome, type WorkerApi } from '../rpc/protocol.ts';

export interface ConnectionOptions {
  url: string | URL;
  db: string;
  extendedLifetime: boolean;
  type: WorkerType;
  /** How long the worker may take to answer its first call. */
  helloTimeoutMs: number;
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
  const dead = new Promise<void>((r) => (markDead = r));
  const shared = typeof SharedWorker !== 'undefined';
  const knock = (): Knock => {
    let endpoint: MessagePort | Worker;
    let terminate: () => void;
    const k = { retired: false } as Knock;
    if (shared) {
      const options = { type: o.type, name: names.worker(o.db, o.extendedLifetime), extendedLifetime: o.extendedLifetime } as WorkerOptions;
      const w = new SharedWorker(o.url, options);
      w.addEventListener('error', () => k.retired || markDead());
      endpoint = w.port;
      terminate = () => w.port.close();
    } else {
      const w = new Worker(o.url, { type: o.type, name: names.worker(o.db, false) });
      w.addEventListener('error', () => k.retired || markDead());
      endpoint = w;
      terminate = () => w.terminate();
    }
    k.api = wrap<WorkerApi>(endpoint);
    k.hello = k.api.hello();
    k.hello.catch(() => undefined); // a loser's hello may reject after the race is decided
    k.close = () => {
      k.retired = true;
      k.api[releaseProxy]();
      terminate();
    };
    return k;
  };

  // BUG FIX (found by the creator-crash e2e probes): a page that constructs its SharedWorker in
  // the ~100 ms after the worker's creator tab crashed can be attached to the dead instance
  // before Chromium has torn it down. That port is silent forever (no error, no reply), and the
  // page cannot learn the dead instance's alive lock without a reply, so the hello waited the
  // whole `helloTimeoutMs` (15 s): every call of that page hung for 15 s and, when it was the
  // only tab, no worker ran any step meanwhile. So while the hello goes unanswered, knock again
  // on a fresh port (0.5 s, then 1, 2, 4 s later) and take the first answer: a fresh port after
  // the teardown starts a new instance; a healthy worker that is merely slow to open (cold
  // start, database upgrade) gets extra ports to the same instance, which are closed unused.
  // A dedicated worker is this page's own: no stale instance to miss, so no second knock.
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
    timers.push(setTimeout(() => reject(unavailable(`the worker did not answer within ${o.helloTimeoutMs} ms`)), o.helloTimeoutMs));
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
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
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

export function unavailable(why: string): WorkflowError {
  return new WorkflowError('Unavailable', `the Stepwise worker is unavailable: ${why}; retry the call`);
}
