/**
 * What a page client is given by its platform: how a worker is started, the Web Locks, and the
 * development build id. The browser's, by default; injectable, so the client can be tested in
 * Node against `serve` over a MessageChannel.
 */
import type { LockManagerLike } from '../host/locks.ts';

/** A started (or joined) worker, as the client uses it. */
export interface Spawned {
  /** The port calls go over: a SharedWorker's port, or the dedicated Worker itself. */
  endpoint: MessagePort | Worker;
  /** Called when the worker fails to load or run its script. */
  onError(listener: () => void): void;
  /** Lets go of this worker (closes the port, or terminates a dedicated worker). */
  terminate(): void;
}

export interface SpawnOptions {
  name: string;
  type: WorkerType;
  extendedLifetime: boolean;
}

export interface ClientEnv {
  /** Whether `spawn` gives one worker shared by every page (SharedWorker) or a worker per page. */
  shared: boolean;
  spawn(url: string | URL, options: SpawnOptions): Spawned;
  locks: LockManagerLike | undefined;
  /** The development build id (digits), set on the page by the stepwise/vite plugin; none in production. */
  build: string | undefined;
}

/** The global the stepwise/vite plugin sets on every development page. */
export const BUILD_GLOBAL = '__STEPWISE_BUILD__';

export function browserEnv(): ClientEnv {
  const shared = typeof SharedWorker !== 'undefined';
  const build = (globalThis as Record<string, unknown>)[BUILD_GLOBAL];
  return {
    shared,
    spawn(url, o) {
      // `o` is exactly the worker options (a dedicated Worker ignores `extendedLifetime`).
      const w = shared ? new SharedWorker(url, o as WorkerOptions) : new Worker(url, o);
      const port = shared ? (w as SharedWorker).port : undefined;
      return {
        endpoint: port ?? (w as Worker),
        onError: (l) => w.addEventListener('error', l),
        terminate: () => (port ? port.close() : (w as Worker).terminate()),
      };
    },
    locks: (globalThis.navigator as Navigator | undefined)?.locks as LockManagerLike | undefined,
    build: typeof build === 'string' && /^\d+$/.test(build) ? build : undefined,
  };
}
