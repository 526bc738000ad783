/**
 * A real Restate server for the Node tests and the bench: the binary the npm package
 * `@restatedev/restate-server` installs, on free 127.0.0.1 ports, in its own temporary directory
 * (deleted by `stop()`), telemetry off. Node only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface RestateServer {
  /** Where clients call services, e.g. `http://127.0.0.1:40123`. */
  ingressUrl: string;
  /** The admin API (registration); never exposed to a browser. */
  adminUrl: string;
  /** Registers (or re-registers, forcing) the service endpoint at `serviceUrl` with the server. */
  register(serviceUrl: string): Promise<void>;
  /** Stops the server and deletes its directory. */
  stop(): Promise<void>;
}

export interface RestateServerOptions {
  /** The data directory. @default a fresh temporary directory, deleted by `stop()` */
  dir?: string;
  /** How long to wait for the server to become healthy. @default 60000 */
  startTimeoutMs?: number;
}

/** A port the OS says is free now (bound to port 0, then closed). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The path of the server binary the npm package installed for this platform. */
export function restateServerBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve(`@restatedev/restate-server-${process.platform}-${process.arch}/package.json`);
  return join(dirname(pkg), 'bin', 'restate-server');
}

/**
 * Starts a server and waits until both its admin API and its ingress answer.
 * @throws Error when the process exits or does not become healthy within `startTimeoutMs`
 */
export async function startRestateServer(options: RestateServerOptions = {}): Promise<RestateServer> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'stepwise-restate-')));
  const [ingress, admin, fabric] = [await freePort(), await freePort(), await freePort()];
  // Small memory budgets (a test machine is shared) and quick invocation retries (a killed
  // service endpoint is retried within a second, not a minute).
  const config = [
    'default-num-partitions = 4',
    'rocksdb-total-memory-size = "256 MiB"',
    'log-filter = "warn"',
    'disable-telemetry = true',
    '[default-retry-policy]',
    'initial-interval = "100ms"',
    'exponentiation-factor = 2.0',
    'max-interval = "1s"',
    'max-attempts = 1000',
    '[worker.invoker]',
    'inactivity-timeout = "10s"',
    'abort-timeout = "10s"',
    '[admin.query-engine]',
    'memory-size = "64 MiB"',
  ].join('\n');
  await writeFile(join(dir, 'restate.toml'), config + '\n');
  const env = {
    ...process.env,
    DO_NOT_TRACK: '1',
    RESTATE_LISTEN_MODE: 'tcp',
    RESTATE_BASE_DIR: dir,
    RESTATE_NODE_NAME: 'stepwise-test',
    RESTATE_BIND_ADDRESS: `127.0.0.1:${fabric}`,
    RESTATE_ADVERTISED_ADDRESS: `http://127.0.0.1:${fabric}/`,
    RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingress}`,
    RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${admin}`,
    RESTATE_ADMIN__DISABLE_WEB_UI: 'true',
  };
  const child = spawn(restateServerBinary(), ['--config-file', join(dir, 'restate.toml'), '--no-logo', '--base-dir', dir], {
    cwd: dir,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ingressUrl = `http://127.0.0.1:${ingress}`;
  const adminUrl = `http://127.0.0.1:${admin}`;
  const stop = async (): Promise<void> => {
    await kill(child, exited);
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(adminUrl, ingressUrl, exited, options.startTimeoutMs ?? 60_000);
  } catch (e) {
    await stop();
    throw new Error(`restate-server did not start: ${e instanceof Error ? e.message : String(e)}\n${stderr}`, { cause: e });
  }
  return {
    ingressUrl,
    adminUrl,
    async register(serviceUrl: string) {
      const res = await fetch(`${adminUrl}/deployments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uri: serviceUrl, force: true }),
      });
      if (!res.ok) throw new Error(`registering ${serviceUrl} failed: ${res.status} ${await res.text()}`);
    },
    stop,
  };
}

async function waitHealthy(adminUrl: string, ingressUrl: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let gone: number | null | undefined;
  void exited.then((code) => (gone = code));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone !== undefined) throw new Error(`the process exited with code ${gone}`);
    const ok = await Promise.all([ping(`${adminUrl}/health`), ping(`${ingressUrl}/restate/health`)]);
    if (ok.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`not healthy after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ping(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

async function kill(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
