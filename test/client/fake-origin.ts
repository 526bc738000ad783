/**
 * One browser origin in Node, for unit tests of `serve` and `connect`: SharedWorkers are fake
 * instances keyed by name, each a `host()` on fake-indexeddb whose pages talk to it over a real
 * MessageChannel; Web Locks are one in-memory manager (test/rpc/fake-locks.ts) in which each
 * worker and each page is its own client, so killing a worker releases its locks exactly as the
 * death of a context does. BroadcastChannel is Node's own.
 */
import { connectWith, type ConnectOptions, type StepwiseClient } from '../../src/client/connect.ts';
import type { ClientEnv, Spawned } from '../../src/client/env.ts';
import { catchEarlyPorts, host, type HostEnv, type HostHandle, type ServeOptions, type WorkerScope } from '../../src/host/serve.ts';
import { FakeLocks } from '../rpc/fake-locks.ts';

/** A worker module: what it does when it loads, given its environment (`host(env, …)` or nothing). */
export type WorkerModule = (env: HostEnv) => HostHandle | undefined;

/** A module that calls `serve(options)`. */
export function serving(options: ServeOptions): WorkerModule {
  return (env) => host(env, options);
}

interface FakeWorker {
  name: string;
  clientId: string;
  scope: WorkerScope & { connect(port: MessagePort): void };
  handle: HostHandle | undefined;
  ports: MessagePort[];
  /** Ports that arrived before the module ran (the connect event is dispatched after it). */
  loaded: boolean;
  backlog: MessagePort[];
  dead: boolean;
}

let serial = 0;

export class FakeOrigin {
  readonly locks = new FakeLocks();
  readonly #module: WorkerModule;
  readonly #workers = new Map<string, FakeWorker>();
  readonly #clients: StepwiseClient[] = [];
  /** Every worker instance started, in order (a restart is a new one). */
  readonly started: FakeWorker[] = [];
  build: string | undefined;

  readonly #importsStepwise: boolean;

  /** `importsStepwise: false`: a module that does not even import `stepwise/worker` (a wrong url). */
  constructor(module: WorkerModule, options: { importsStepwise?: boolean } = {}) {
    this.#module = module;
    this.#importsStepwise = options.importsStepwise ?? true;
  }

  /** A page's client. */
  connect(options: Omit<ConnectOptions, 'url'> & { url?: string }): StepwiseClient {
    const client = connectWith(this.env(`page-${serial++}`), { url: 'worker.js', ...options });
    this.#clients.push(client);
    return client;
  }

  env(pageId: string): ClientEnv {
    return { shared: true, spawn: (_url, o) => this.#spawn(o.name), locks: this.locks.client(pageId), build: this.build };
  }

  /** The live instance of the worker named `name`, if any. */
  worker(name: string): FakeWorker | undefined {
    const w = this.#workers.get(name);
    return w && !w.dead ? w : undefined;
  }

  /** Kills a worker as a crash of its creator tab does: no port event, its locks released. */
  async kill(name: string): Promise<void> {
    const w = this.worker(name);
    if (!w) throw new Error(`no live worker ${name}`);
    w.dead = true;
    this.locks.kill(w.clientId);
    await w.handle?.shutdown();
  }

  async close(): Promise<void> {
    for (const c of this.#clients.splice(0)) c.close();
    for (const w of this.#workers.values()) {
      if (w.dead) continue;
      w.dead = true;
      this.locks.kill(w.clientId);
      await w.handle?.shutdown();
      for (const p of w.ports) p.close();
    }
  }

  #spawn(name: string): Spawned {
    let w = this.worker(name);
    if (!w) w = this.#start(name);
    const channel = new MessageChannel();
    const worker = w;
    worker.ports.push(channel.port2);
    if (worker.loaded) setTimeout(() => worker.scope.connect(channel.port2), 0);
    else worker.backlog.push(channel.port2);
    return { endpoint: channel.port1 as unknown as MessagePort, onError: () => undefined, terminate: () => channel.port1.close() };
  }

  #start(name: string): FakeWorker {
    const clientId = `worker-${serial++}`;
    const scope = {
      onconnect: null as ((e: MessageEvent) => void) | null,
      postMessage: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      connect(port: MessagePort) {
        if (!w.dead) scope.onconnect?.({ ports: [port] } as unknown as MessageEvent);
      },
    };
    const w: FakeWorker = { name, clientId, scope, handle: undefined, ports: [], loaded: false, backlog: [], dead: false };
    this.#workers.set(name, w);
    this.started.push(w);
    // A worker's module runs after the page's task, then the connect events are dispatched.
    setTimeout(() => {
      if (w.dead) return;
      if (this.#importsStepwise) catchEarlyPorts(scope); // what importing stepwise/worker does
      const env: HostEnv = { scope, shared: true, locks: this.locks.client(clientId), workerName: name, close: () => void this.kill(name) };
      w.handle = this.#module(env) ?? undefined;
      w.loaded = true;
      for (const p of w.backlog.splice(0)) scope.connect(p);
    }, 0);
    return w;
  }
}
