/**
 * A run handed off from Chromium to a real Restate server and back. The browser's worker and the
 * service process run the same workflow definitions (fixtures/handoff-workflows.ts); the app's
 * gateway (`createGateway` over `restateRuns`, a cookie-based `authenticate`) is served here on
 * 127.0.0.1 with CORS for the page's origin, and the worker reaches it with the page's cookie.
 *
 * This file's ports: the dev server 27800, the gateway (and the test's report routes) 27801,
 * the OpenAI-compatible server 27802. The Restate server and the service take free ports.
 */
import '../test/support/with-resolvers.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunOutcome, RunStatus } from '../src/core/types.ts';
import { createGateway, nodeHandler, restateRuns } from '../src/restate.ts';
import type { RemoteRuns } from '../src/restate/contract.ts';
import { startOpenAiServer, type OpenAiServer } from '../test/support/openai-server.ts';
import { freePort, startRestateServer, type RestateServer } from '../test/support/restate-server.ts';
import { openFixture, pollUntil, useE2eServer } from './support/harness.ts';

const PORT = 27800;
const GATEWAY_PORT = 27801;
const LLM_PORT = 27802;
const SITE = `http://127.0.0.1:${GATEWAY_PORT}`;
const GATEWAY = `${SITE}/gw`;

/** The owner a `user=<name>` cookie names. */
async function cookieOwner(request: Request): Promise<string | undefined> {
  return /(?:^|;\s*)user=([A-Za-z0-9_-]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
}

/** The app's server: `/login?user=` sets the session cookie (persistent: it outlives a browser restart, as a "remember me" one does), `/gw/…` is the gateway; `/reached` and `/hooked` report to the test. */
function appServer(runs: RemoteRuns) {
  const reached: number[] = [];
  const hooked: string[] = [];
  const gateway = nodeHandler(createGateway({ runs, authenticate: cookieOwner, basePath: '/gw', allowOrigins: [`http://127.0.0.1:${PORT}`] }));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', SITE);
    if (url.pathname.startsWith('/gw/')) return gateway(req, res);
    if (url.pathname === '/login') res.setHeader('set-cookie', `user=${url.searchParams.get('user')}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax`);
    if (url.pathname === '/reached') reached.push(Number(url.searchParams.get('attempt')));
    if (url.pathname === '/hooked') hooked.push(`${url.searchParams.get('run')}:${url.searchParams.get('status')}`);
    res.end('ok');
  });
  return { server, reached, hooked };
}

function startService(env: Record<string, string>): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./fixtures/handoff-service.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the service exited with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
  });
}

describe('hand-off to a Restate server', () => {
  const { browsers, origin } = useE2eServer(PORT);
  let restate: RestateServer;
  let llm: OpenAiServer;
  let app: ReturnType<typeof appServer>;
  let runs: RemoteRuns;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    restate = await startRestateServer();
    llm = await startOpenAiServer({ port: LLM_PORT });
    runs = restateRuns({ ingressUrl: restate.ingressUrl, workflows: ['agent'] });
    app = appServer(runs);
    await new Promise<void>((r) => app.server.listen(GATEWAY_PORT, '127.0.0.1', r));
  }, 60_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    app?.server.closeAllConnections();
    app?.server.close();
    await llm?.close();
    await restate?.stop();
  });

  it('finishes a handed-off run on the server through a killed service, without paying twice, and lands its outcome once in the reopened browser', async () => {
    const servicePort = await freePort();
    const env = { INGRESS_URL: restate.ingressUrl, PORT: String(servicePort) };
    const first = await startService(env);
    children.push(first);
    await restate.register(`http://127.0.0.1:${servicePort}`);

    const runId = `handoff-${Date.now()}`;
    const fixture = `${origin()}/e2e/fixtures/handoff.html?hooked=${encodeURIComponent(`${SITE}/hooked`)}`;
    let session = await browsers.launch();
    const login = await session.newPage();
    await login.goto(`${SITE}/login?user=alice`);
    let page = await openFixture(session, fixture);

    await page.evaluate(({ runId, input }) => window.app.submit({ workflow: 'agent', input, runId }), { runId, input: { llmUrl: llm.baseURL, reachedUrl: `${SITE}/reached` } });
    await pollUntil(() => page.evaluate((id) => window.app.status(id), runId), (s) => s?.state === 'waiting');
    const out = await page.evaluate(({ runId, url }) => window.app.handoff(runId, { url }), { runId, url: GATEWAY });
    expect(out).toMatchObject({ runId, url: GATEWAY, acknowledged: true });
    const remote = await page.evaluate((id) => window.app.status(id), runId);
    expect(remote).toMatchObject({ state: 'waiting', eventKey: `go:${runId}`, remote: { url: GATEWAY } });

    // The event the run waits for goes to the server; its step pays for one completion there.
    expect(await page.evaluate((id) => window.app.sendEvent(`go:${id}`, true), runId)).toBe('delivered');
    await pollUntil(async () => app.reached.length, (n) => n === 1, 60_000);
    expect(llm.requests).toBe(1);
    const live = await pollUntil(() => page.evaluate((id) => window.app.status(id), runId), (s: RunStatus | undefined) => s?.state === 'running', 30_000);
    expect(live?.remote?.url).toBe(GATEWAY);

    // Every tab goes; the service process dies mid-step and comes back.
    await session.close();
    first.removeAllListeners('exit');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const second = await startService(env);
    children.push(second);
    const ended = await pollUntil(() => runs.status('alice', runId), (s) => s?.state === 'succeeded', 60_000);
    expect(ended?.result).toMatchObject({ attempts: 2 });
    expect(llm.requests).toBe(1);
    expect(app.reached).toEqual([1, 2]);

    // Another user's cookie can neither see nor cancel it.
    const asBob = { headers: { cookie: 'user=bob' } };
    expect((await fetch(`${GATEWAY}/runs/${runId}`, asBob)).status).toBe(404);
    expect((await fetch(`${GATEWAY}/runs/${runId}/cancel`, { ...asBob, method: 'POST' })).status).toBe(404);
    expect((await fetch(`${GATEWAY}/runs/${runId}`, { headers: { cookie: 'user=alice' } })).status).toBe(200);

    // The browser comes back: the outcome lands once, as the run's one terminal state.
    session = await browsers.launch();
    page = await openFixture(session, fixture);
    const outcome: RunOutcome = await page.evaluate((id) => window.app.wait(id, { timeoutMs: 60_000 }), runId);
    expect(outcome).toMatchObject({ runId, status: 'succeeded', result: { attempts: 2 } });
    await pollUntil(async () => app.hooked.length, (n) => n >= 1, 30_000);
    const status = await page.evaluate((id) => window.app.status(id), runId);
    expect(status).toMatchObject({ state: 'succeeded' });
    expect(status?.remote).toBeUndefined();
    const history = await page.evaluate((id) => window.app.history(id), runId);
    expect(history.filter((h) => h.outcome === 'succeeded')).toHaveLength(1);
    // A reload re-reads everything: still one end, one hook call.
    await page.reload();
    await page.waitForFunction(() => document.title === 'ready');
    expect((await page.evaluate(() => window.app.list())).runs.filter((r) => r.runId === runId).map((r) => r.state)).toEqual(['succeeded']);
    expect(app.hooked).toEqual([`${runId}:succeeded`]);
  }, 240_000);
});
