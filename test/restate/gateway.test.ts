/**
 * The hand-off gateway over a real node:http server on 127.0.0.1, in front of an in-memory
 * `RemoteRuns`: authentication, owner isolation, idempotent hand-off, refusal of workflows the
 * server does not run, and bad bodies.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HandoffState } from '../../src/restate/contract.ts';
import { fetchAs, startGatewayServer, type GatewayServer } from './gateway-server.ts';
import { MemoryRuns } from './memory-runs.ts';

const state = (runId: string, more: Partial<HandoffState> = {}): HandoffState => ({
  runId,
  workflow: 'agent',
  stepNumber: 1,
  attempts: 0,
  payload: { q: 'why' },
  headers: {},
  submittedAt: 1,
  memo: [{ stepNumber: 1, key: 'k:answer', value: 'paid' }],
  ...more,
});

let runs: MemoryRuns;
let gw: GatewayServer;
const alice = fetchAs('alice');
const bob = fetchAs('bob');

beforeEach(async () => {
  runs = new MemoryRuns(['agent']);
  gw = await startGatewayServer(runs);
});
afterEach(() => gw.close());

const post = (f: typeof fetch, path: string, body: unknown) => f(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('gateway', () => {
  it('answers 401 to a caller that is not signed in, on every route', async () => {
    await post(alice, '/runs', state('r1'));
    for (const res of [
      await fetch(`${gw.url}/workflows`),
      await fetch(`${gw.url}/runs/r1`),
      await fetch(`${gw.url}/runs/r1/outcome?waitMs=0`),
      await fetch(`${gw.url}/runs`, { method: 'POST', body: JSON.stringify(state('r2')) }),
      await fetch(`${gw.url}/runs/r1/cancel`, { method: 'POST' }),
    ]) {
      expect(res.status).toBe(401);
      expect(((await res.json()) as { message: string }).message).toMatch(/sign in/);
    }
    expect(runs.started).toBe(1);
    expect(runs.runs.size).toBe(1);
  });

  it('starts one remote run however often a hand-off is retried', async () => {
    const first = await post(alice, '/runs', state('r1'));
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ started: true });
    const again = await post(alice, '/runs', state('r1'));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ started: false });
    expect(runs.started).toBe(1);
    expect(runs.runs.values().next().value!.state.memo).toEqual([{ stepNumber: 1, key: 'k:answer', value: 'paid' }]);
  });

  it('refuses a workflow the server does not run with 422 and starts nothing', async () => {
    const res = await post(alice, '/runs', state('r1', { workflow: 'browser-only' }));
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toMatch(/does not run workflow "browser-only"/);
    expect(runs.startCalls).toBe(0);
  });

  it('lists the workflows the server runs', async () => {
    const res = await alice(`${gw.url}/workflows`);
    expect(await res.json()).toEqual({ workflows: ['agent'] });
  });

  it("answers another owner's run exactly like a missing one, and lets them neither cancel nor signal it", async () => {
    await post(alice, '/runs', state('r1', { waiting: { key: 'approve' } }));
    const mine = await alice(`${gw.url}/runs/r1`);
    expect(mine.status).toBe(200);
    expect(((await mine.json()) as { state: string }).state).toBe('waiting');

    const theirs = [
      await bob(`${gw.url}/runs/r1`),
      await bob(`${gw.url}/runs/r1/outcome?waitMs=0`),
      await post(bob, '/runs/r1/cancel', {}),
      await post(bob, '/runs/r1/events', { key: 'approve', payload: true }),
    ];
    const missing = await alice(`${gw.url}/runs/nope`);
    const missingBody = ((await missing.json()) as { message: string }).message.replace('nope', 'r1');
    for (const res of theirs) {
      expect(res.status).toBe(404);
      expect(((await res.json()) as { message: string }).message).toBe(missingBody);
    }
    const run = runs.runs.values().next().value!;
    expect(run.cancels).toBe(0);
    expect(run.events).toEqual([]);
    expect(run.status.state).toBe('waiting');
    // A hand-off of the same id by another owner is that owner's own run: it never touches Alice's.
    await post(bob, '/runs', state('r1', { payload: 'bob' }));
    expect(((await (await alice(`${gw.url}/runs/r1`)).json()) as { state: string }).state).toBe('waiting');
    expect(runs.runs.size).toBe(2);
  });

  it("cancels and signals the owner's own run", async () => {
    await post(alice, '/runs', state('r1', { waiting: { key: 'approve' } }));
    const ev = await post(alice, '/runs/r1/events', { key: 'approve', payload: true });
    expect(await ev.json()).toEqual({ delivered: true });
    const c = await post(alice, '/runs/r1/cancel', {});
    expect(await c.json()).toEqual({ cancelled: true });
    const out = await alice(`${gw.url}/runs/r1/outcome?waitMs=0`);
    expect(((await out.json()) as { state: string }).state).toBe('cancelled');
  });

  it('answers an outcome long-poll when the run ends', async () => {
    await post(alice, '/runs', state('r1'));
    const polled = alice(`${gw.url}/runs/r1/outcome?waitMs=20000`);
    await new Promise((r) => setTimeout(r, 20));
    runs.finish('alice', 'r1', 'succeeded', { result: 42 });
    const body = (await (await polled).json()) as { state: string; result: number };
    expect(body).toMatchObject({ state: 'succeeded', result: 42 });
  });

  it('refuses bad input with 400 and a message that says what to send', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/runs', '{not json', /must be JSON/],
      ['/runs', [1, 2], /JSON object/],
      ['/runs', { ...state('r1'), runId: 'a b' }, /runId must contain only/],
      ['/runs', { ...state('r1'), stepNumber: -1 }, /stepNumber must be an integer >= 0/],
      ['/runs', { ...state('r1'), memo: undefined }, /memo must be an array/],
      ['/runs', { ...state('r1'), headers: { a: 1 } }, /headers must be an object of string values/],
      ['/runs', { ...state('r1'), waiting: { key: '' } }, /waiting must be/],
      ['/runs/r1/events', { payload: 1 }, /key must be a string/],
    ];
    await post(alice, '/runs', state('r0'));
    for (const [path, body, message] of cases) {
      const res = await post(alice, path.replace('r1/events', 'r0/events'), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(message);
    }
    const badWait = await alice(`${gw.url}/runs/r0/outcome?waitMs=soon`);
    expect(badWait.status).toBe(400);
    const badId = await alice(`${gw.url}/runs/${encodeURIComponent('a/b c')}`);
    expect(badId.status).toBe(400);
    expect(runs.started).toBe(1);
  });

  it('takes the owner from authentication only, never from the body', async () => {
    await post(alice, '/runs', { ...state('r1'), owner: 'bob' });
    expect([...runs.runs.values()].map((r) => r.owner)).toEqual(['alice']);
    expect((await bob(`${gw.url}/runs/r1`)).status).toBe(404);
  });
});
