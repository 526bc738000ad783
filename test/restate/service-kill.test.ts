import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import '../support/with-resolvers.ts';
import { restateRuns } from '../../src/restate.ts';
import { freePort, startRestateServer, type RestateServer } from '../support/restate-server.ts';
import { ended, handoff, newRunId } from './support.ts';

/** Counts paid calls, and tells the test when a step reached the point after its memo put. */
function counter() {
  const state = { paid: 0, reached: [] as number[] };
  const waiters: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/pay') state.paid++;
    if (url.pathname === '/reached') {
      state.reached.push(Number(url.searchParams.get('attempt')));
      waiters.splice(0).forEach((w) => w());
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ paid: state.paid }));
  });
  return { state, server, reached: () => new Promise<void>((r) => waiters.push(r)) };
}

function startService(env: Record<string, string>): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./fixtures/paid-service.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`service exited with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
  });
}

let server: RestateServer;
let c: ReturnType<typeof counter>;
const children: ChildProcess[] = [];
beforeAll(async () => {
  server = await startRestateServer();
  c = counter();
  await new Promise<void>((r) => c.server.listen(0, '127.0.0.1', r));
}, 60_000);
afterAll(async () => {
  for (const ch of children) if (ch.exitCode === null) ch.kill('SIGKILL');
  c?.server.close();
  await server?.stop();
});

it('does not pay again for a memoized call when the service process is killed mid-step', async () => {
  const port = await freePort();
  const env = { INGRESS_URL: server.ingressUrl, PORT: String(port), COUNTER_URL: `http://127.0.0.1:${(c.server.address() as AddressInfo).port}` };
  const first = await startService(env);
  children.push(first);
  await server.register(`http://127.0.0.1:${port}`);
  const runs = restateRuns({ ingressUrl: server.ingressUrl, workflows: ['paid'] });
  const runId = newRunId();
  const reached = c.reached();
  await runs.start('alice', handoff('paid', runId, null));
  await reached;
  expect(c.state).toEqual({ paid: 1, reached: [1] });
  first.removeAllListeners('exit');
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const second = await startService(env);
  children.push(second);
  const s = await ended(runs, 'alice', runId, 60_000);
  expect(s).toMatchObject({ state: 'succeeded', result: { answer: { paid: 1 }, attempts: 2 } });
  expect(c.state.paid).toBe(1);
  expect(c.state.reached).toEqual([1, 2]);
}, 90_000);
