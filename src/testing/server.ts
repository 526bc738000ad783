/**
 * A Vite dev server for test fixtures and benchmarks. Node only.
 *
 * Serving the repository root lets a fixture page import `/src/….ts` directly and start module
 * SharedWorkers with `new SharedWorker(new URL('./x.worker.ts', import.meta.url), { type: 'module' })`,
 * with no build step. The server is deliberately inert so a page never reloads under a test:
 * no config file, no HMR socket, no file watcher, and no dependency discovery: a CommonJS
 * dependency a page needs is pre-bundled at start (`optimizeDeps`), because discovering one on
 * first import reloads pages.
 *
 * The port is fixed on purpose (`strictPort`): IndexedDB is per origin and the origin includes
 * the port, so a relaunched browser only sees its earlier data on the same port. Pick it below
 * the kernel's ephemeral range (32768–60999 on Linux): a port in that range can be taken at any
 * moment as the local end of an outgoing connection (the browser's own, to the previous test's
 * server), and the listen then fails "already in use". The project's tests use 27xxx.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createServer } from 'vite';

export interface DevServerOptions {
  /** Port on 127.0.0.1. Fails if it is taken (no fallback to another port). */
  port: number;
  /** Directory served at `/`. @default the nearest directory holding a package.json, from the working directory up */
  root?: string;
  /**
   * Response headers on every served file, e.g. COOP `same-origin` + COEP `require-corp` to make
   * the pages cross-origin isolated (SharedArrayBuffer, OPFS-backed SQLite WASM). @default none
   */
  headers?: Record<string, string>;
  /**
   * Packages to pre-bundle at start: a dependency with a CommonJS module somewhere in its graph
   * (the AI SDK's `ai` reaches one through its gateway) fails to load unbundled in a browser.
   * @default none
   */
  optimizeDeps?: string[];
}

export interface DevServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly origin: string;
  close(): Promise<void>;
}

/** Starts the server and resolves once it listens. @throws if the port is in use */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const root = resolve(options.root ?? packageRoot(process.cwd()));
  const server = await createServer({
    configFile: false,
    root,
    // One optimizer cache per port: two servers (a benchmark beside the e2e suite) never
    // race on the same pre-bundle directory.
    cacheDir: join(root, 'node_modules', '.vite', `stepwise-testing-${options.port}`),
    logLevel: 'warn',
    clearScreen: false,
    server: {
      host: '127.0.0.1',
      port: options.port,
      strictPort: true,
      hmr: false,
      ws: false,
      watch: null,
      ...(options.headers ? { headers: options.headers } : {}),
    },
    optimizeDeps: { noDiscovery: true, include: options.optimizeDeps ?? [] },
  });
  try {
    await server.listen();
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    origin: `http://127.0.0.1:${options.port}`,
    close: () => server.close(),
  };
}

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}
