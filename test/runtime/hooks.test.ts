/**
 * Terminal hooks and notifications. Node only: the webhook tests talk to a real HTTP server on
 * 127.0.0.1.
 *
 * Our webhook differs from upstream's: `webhookHook` POSTs the outcome itself, from the
 * notification job, to a URL fixed in its options; it does not stage a job onto a "callbacks"
 * queue with `webhook.*` headers. So the webhook tests check what reaches the server (method,
 * headers, JSON body), per-run selection through `observes`, and the timeout, then the
 * status classification: 2xx acks, 408/429/5xx/network errors retry (honouring Retry-After on
 * the runtime clock), any other 4xx dead-letters the notification at once.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isWorkflowError } from '../../src/core/errors.ts';
import type { Json } from '../../src/core/json.ts';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import type { RunOutcome } from '../../src/core/types.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import type { Step, TerminalEffects } from '../../src/runtime/types.ts';
import { parseRetryAfter, webhookHook } from '../../src/runtime/webhook.ts';
import type { JobRecord } from '../../src/store/db.ts';
import { dumpTables } from './dump.ts';
import { T0, deferred, recordingHook, scriptedRunner, settle, waitFor } from './harness.ts';
import { fresh } from './lifecycle.ts';
import { queueOf, recoverNow, stats } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

const STEPS = 'workflow-steps';

function notificationJobs(rt: Runtime): Promise<JobRecord[]> {
  return storeOf(rt).read(async (t) => (await t.getAll<JobRecord>('jobs', undefined)).filter((j) => j.headers['workflow.terminal'] !== undefined), ['jobs']);
}

function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (e) {
    return e;
  }
  return undefined;
}

// ---- a real HTTP endpoint ------------------------------------------------------------------

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Reply = { status: number; headers?: Record<string, string> } | 'hang';

const servers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of servers.splice(0)) await close();
});

/** Listens on 127.0.0.1; request n gets `replies[n]` (the last one repeats). */
async function endpoint(replies: Reply[]): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const reply = replies[Math.min(received.length, replies.length - 1)]!;
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (reply === 'hang') {
        hanging.push(res);
        return;
      }
      res.writeHead(reply.status, reply.headers ?? {});
      res.end('response body');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(
    () =>
      new Promise<void>((r) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

/** A port nothing listens on (connection refused). */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}/hook`;
}

describe('Terminal hooks and notifications', () => {
  it('hook effects (KV writes and follow-up jobs) commit with the notification\'s acknowledgement', async () => {
    let ackedBefore: (Json | undefined)[] = [];
    const hook = recordingHook('effects', async (o, e) => {
      e.put(`app/outcomes/${o.runId}`, o.status);
      e.enqueue({ queue: 'side-effects', payload: o.runId });
      ackedBefore = [await rt.kv.get(`app/outcomes/${o.runId}`), (await stats(rt, 'side-effects')).pending];
    });
    const rt = (await fresh({ hooks: [hook], workflows: { wf: scriptedRunner([Outcome.succeed('')]) } })).runtime;
    await rt.submit({ workflow: 'wf', runId: 'hooked', input: '' });
    await waitFor(async () => (await rt.kv.get('app/outcomes/hooked')) !== undefined, 5000, 'the hook effects');
    expect(ackedBefore).toEqual([undefined, 0]); // staged, not applied while the hook ran
    await expect(rt.kv.get('app/outcomes/hooked')).resolves.toBe('succeeded');
    expect(await stats(rt, 'side-effects')).toMatchObject({ pending: 1 });
    const job = (await queueOf(rt).claim('side-effects'))!;
    expect(job.job.payload).toBe('hooked');
    expect(await queueOf(rt).claim('side-effects')).toBeUndefined();
    expect(await notificationJobs(rt)).toEqual([]);
  });

  it('a transient hook error retries the notification', async () => {
    const hook = recordingHook('flaky', (o, e, call) => {
      if (call === 1) throw StepError.transient('first attempt fails');
      e.put(`app/notified/${o.runId}`, '1');
    });
    const { runtime: rt } = await fresh({ hooks: [hook], workflows: { wf: scriptedRunner([Outcome.succeed('')]) } });
    await rt.submit({ workflow: 'wf', runId: 'flaky', input: '' });
    await waitFor(async () => (await rt.kv.get('app/notified/flaky')) === '1', 5000, 'the retried hook');
    await settle();
    expect(hook.outcomes).toHaveLength(2);
    expect(hook.outcomes[1]).toEqual(hook.outcomes[0]);
  });

  it('an unknown throw (not a StepError) counts as transient too', async () => {
    const hook = recordingHook('throws', (_o, _e, call) => {
      if (call === 1) throw new TypeError('oops');
      if (call === 2) throw 'a string';  
    });
    const { runtime: rt } = await fresh({ hooks: [hook], workflows: { wf: scriptedRunner([Outcome.succeed('')]) } });
    await rt.submit({ workflow: 'wf', input: '', maxAttempts: 3 });
    await waitFor(() => hook.outcomes.length === 3, 5000, 'three calls');
    await waitFor(async () => (await notificationJobs(rt)).length === 0, 5000, 'the ack');
    expect(await rt.deadJobs()).toEqual([]);
  });

  it('without a hook a terminal settlement enqueues no notification', async () => {
    const { runtime: rt } = await fresh({ workflows: { wf: scriptedRunner([Outcome.succeed('')]) } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await rt.wait(runId);
    await settle();
    expect(await stats(rt, STEPS)).toMatchObject({ pending: 0, claimed: 0, scheduled: 0, dead: 0, done: 1 });
    expect((await dumpTables(rt)).jobs).toEqual([]);
    expect(await queueOf(rt).claim(STEPS)).toBeUndefined();
  });

  it('observes(outcome) = false skips the notification for that outcome', async () => {
    const hook = Object.assign(recordingHook('failures-only'), { observes: (o: RunOutcome) => o.status === 'failed' });
    const runner = scriptedRunner([(s: Step) => (s.payload === 'ok' ? Outcome.succeed('') : Outcome.fail('no'))]);
    const { runtime: rt } = await fresh({ start: false, hooks: [hook], workflows: { wf: runner } });
    await rt.submit({ workflow: 'wf', runId: 'good', input: 'ok' });
    await rt.submit({ workflow: 'wf', runId: 'bad', input: 'ko' });
    await rt.start();
    await rt.wait('good');
    await rt.wait('bad');
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    await settle();
    expect(hook.outcomes.map((o) => [o.runId, o.status])).toEqual([['bad', 'failed']]);
    expect(await stats(rt, STEPS)).toMatchObject({ pending: 0, claimed: 0, scheduled: 0, dead: 0, done: 3 }); // 2 steps + 1 notification
  });

  it('an observes() that throws still notifies (a broken filter loses nothing)', async () => {
    const hook = Object.assign(recordingHook('broken-filter'), {
      observes: (): boolean => {
        throw new Error('filter bug');
      },
    });
    const { runtime: rt } = await fresh({ hooks: [hook] });
    await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
  });

  it('a permanent hook error dead-letters the notification; the run outcome is unchanged', async () => {
    const hook = recordingHook('strict', (o, e, call) => {
      if (call > 1) return e.put('app/after-requeue', o.runId);
      e.put('app/should-not-apply', o.runId);
      throw StepError.permanent('bad');
    });
    const { runtime: rt } = await fresh({ hooks: [hook], workflows: { wf: scriptedRunner([Outcome.succeed('r')]) } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(async () => (await rt.deadJobs()).length === 1, 5000, 'the dead notification');
    await settle();
    expect(hook.outcomes).toHaveLength(1);
    expect(await rt.deadJobs()).toEqual([expect.objectContaining({ kind: 'notification', hook: 'strict', runId, lastError: 'bad', attempts: 1 })]);
    await expect(rt.kv.get('app/should-not-apply')).resolves.toBeUndefined();
    expect(await rt.status(runId)).toMatchObject({ state: 'succeeded', result: 'r' });
    await expect(rt.wait(runId)).resolves.toMatchObject({ status: 'succeeded', result: 'r' });
    // A dead notification (unlike a dead step of an ended run) may be requeued: the hook runs again.
    await rt.requeueDead((await rt.deadJobs())[0]!.jobId);
    await waitFor(async () => (await rt.kv.get('app/after-requeue')) === runId, 5000, 'the requeued notification');
    expect(hook.outcomes).toHaveLength(2);
    expect(hook.outcomes[1]).toEqual(hook.outcomes[0]);
    expect(await rt.deadJobs()).toEqual([]);
  });

  it('transient hook errors are bounded by the terminal step\'s maxAttempts', async () => {
    const hook = recordingHook('always', () => {
      throw StepError.transient('down');
    });
    const { runtime: rt } = await fresh({ hooks: [hook], workflows: { wf: scriptedRunner([Outcome.succeed('')]) } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '', maxAttempts: 2 });
    await waitFor(async () => (await rt.deadJobs()).length === 1, 5000, 'the dead notification');
    await settle();
    expect(hook.outcomes).toHaveLength(2);
    expect(await rt.deadJobs()).toEqual([expect.objectContaining({ kind: 'notification', runId, attempts: 2, lastError: 'down' })]);
  });

  it('a run ended by a step error notifies with the default maxAttempts', async () => {
    const hook = recordingHook('always', () => {
      throw StepError.transient('down');
    });
    const runner = scriptedRunner([
      () => {
        throw StepError.permanent('step broke');
      },
    ]);
    const { runtime: rt } = await fresh({ retry: { baseDelayMs: 0, jitter: 0, maxAttempts: 3 }, hooks: [hook], workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '', maxAttempts: 1 });
    await waitFor(async () => (await rt.deadJobs()).some((d) => d.kind === 'notification'), 5000, 'the dead notification');
    expect(hook.outcomes).toHaveLength(3);
    expect((await rt.deadJobs()).find((d) => d.kind === 'notification')).toMatchObject({ runId, attempts: 3 });
  });

  it('only the committed outcome produces a notification', async () => {
    const running = deferred<void>();
    const runner = scriptedRunner([
      async () => {
        await recoverNow(b); // delivery 1's settlement will be lost
        await a.stop({ drain: false });
        return Outcome.succeed('done');
      },
      async (s: Step) => {
        running.resolve();
        await new Promise<void>((r) => s.signal.addEventListener('abort', () => r(), { once: true }));
        return Outcome.succeed('done');
      },
    ]);
    const hook = recordingHook();
    const f = await fresh({ hooks: [hook], workflows: { wf: runner } });
    const a = f.runtime;
    const b = await f.reopen();
    await a.submit({ workflow: 'wf', runId: 'phantom', input: '' });
    await waitFor(() => runner.calls.length === 1, 5000, 'delivery 1');
    await settle();
    expect(await notificationJobs(a)).toEqual([]); // the lost success left nothing
    await b.start();
    await running.promise;
    expect(await b.cancel('phantom')).toBe(true);
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    await settle();
    expect(hook.outcomes).toHaveLength(1);
    expect(hook.outcomes[0]).toMatchObject({ runId: 'phantom', status: 'cancelled' });
    expect(await queueOf(b).claim(STEPS)).toBeUndefined();
    expect(await stats(b, STEPS)).toMatchObject({ pending: 0, claimed: 0, scheduled: 0, dead: 0 });
  });

  it('at most one notification per committed termination', async () => {
    const hook = recordingHook();
    const runner = scriptedRunner([
      (s: Step) => {
        if (s.payload === 'flaky') throw StepError.transient('again');
        return Outcome.succeed('');
      },
    ]);
    const { runtime: rt } = await fresh({ start: false, hooks: [hook], workflows: { wf: runner } });
    // Double cancel.
    await rt.submit({ workflow: 'wf', runId: 'twice', input: '' });
    expect(await rt.cancel('twice')).toBe(true);
    expect(await rt.cancel('twice')).toBe(false);
    expect(await notificationJobs(rt)).toHaveLength(1);
    // Cancel after completion; exhausted retries.
    await rt.submit({ workflow: 'wf', runId: 'done', input: 'ok' });
    await rt.submit({ workflow: 'wf', runId: 'exhausted', input: 'flaky', maxAttempts: 2 });
    await rt.start();
    await rt.wait('done');
    await rt.wait('exhausted');
    expect(await rt.cancel('done')).toBe(false);
    await waitFor(() => hook.outcomes.length === 3, 5000, 'three notifications');
    await settle();
    expect(hook.outcomes.map((o) => [o.runId, o.status]).sort()).toEqual([
      ['done', 'succeeded'],
      ['exhausted', 'failed'],
      ['twice', 'cancelled'],
    ]);
  });

  it('a run id used again is notified once per run, even while the first run\'s notification is pending', async () => {
    const hook = recordingHook();
    const { runtime: rt } = await fresh({ start: false, hooks: [hook] });
    await rt.submit({ workflow: 'wf', runId: 'reused', input: 1 });
    expect(await rt.cancel('reused')).toBe(true);
    // An ended run's id may be used again: the new run ends too, while the first notification waits.
    await expect(rt.submit({ workflow: 'wf', runId: 'reused', input: 2 })).resolves.toMatchObject({ newlySubmitted: true });
    expect(await rt.cancel('reused')).toBe(true);
    expect(await notificationJobs(rt)).toHaveLength(2);
    await rt.start();
    await waitFor(() => hook.outcomes.length === 2, 5000, 'the hook');
    await settle();
    expect(hook.outcomes).toHaveLength(2);
  });

  it('the webhook POSTs the outcome to a real endpoint; observes() selects runs by header', async () => {
    const server = await endpoint([{ status: 200 }]);
    const hook = webhookHook({ url: server.url, observes: (o) => o.headers['callback_url'] !== undefined });
    const runner = scriptedRunner([(s: Step) => Outcome.succeed(s.payload)]);
    const { runtime: rt } = await fresh({ hooks: [hook], workflows: { wf: runner } });
    await rt.submit({ workflow: 'wf', runId: 'with-callback', input: 'payload', headers: { callback_url: 'https://example.com/done' } });
    await waitFor(() => server.received.length === 1, 5000, 'the POST');
    await waitFor(async () => (await notificationJobs(rt)).length === 0, 5000, 'the ack');
    const [req] = server.received;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/hook');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['workflow-run-id']).toBe('with-callback');
    expect(req!.headers['workflow-run-status']).toBe('succeeded');
    expect(JSON.parse(req!.body)).toEqual({
      runId: 'with-callback',
      workflow: 'wf',
      status: 'succeeded',
      result: 'payload',
      headers: { callback_url: 'https://example.com/done' },
      finalStep: 0,
      submittedAt: T0,
      terminalAt: T0,
    });

    const { runId } = await rt.submit({ workflow: 'wf', runId: 'without-callback', input: '' });
    await rt.wait(runId);
    await settle(100);
    expect(server.received).toHaveLength(1);
    expect(await stats(rt, STEPS)).toMatchObject({ pending: 0, claimed: 0, scheduled: 0, dead: 0, done: 3 }); // 2 steps + 1 notification
  });

  it('failed and cancelled outcomes carry their error in the body', async () => {
    const server = await endpoint([{ status: 204 }]);
    const runner = scriptedRunner([(s: Step) => (s.payload === 'f' ? Outcome.fail('denied') : Outcome.cancel('obsolete'))]);
    const { runtime: rt } = await fresh({ hooks: [webhookHook({ url: server.url })], workflows: { wf: runner } });
    await rt.submit({ workflow: 'wf', runId: 'f', input: 'f' });
    await rt.submit({ workflow: 'wf', runId: 'c', input: 'c' });
    await waitFor(() => server.received.length === 2, 5000, 'two POSTs');
    const bodies = server.received.map((r) => JSON.parse(r.body) as RunOutcome).sort((x, y) => x.runId.localeCompare(y.runId));
    expect(bodies.map((o) => [o.runId, o.status, o.error])).toEqual([
      ['c', 'cancelled', 'obsolete'],
      ['f', 'failed', 'denied'],
    ]);
  });

  it('request packing: extra headers are sent, kept out of storage, and the per-delivery timeout retries', async () => {
    const server = await endpoint(['hang', { status: 200 }]);
    const hook = webhookHook({ url: server.url, name: 'wh', timeoutMs: 200, headers: { 'Custom-Header': 'value', authorization: 'Bearer s3cret-token' } });
    const { runtime: rt } = await fresh({ hooks: [hook] });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(() => server.received.length === 2, 10_000, 'the retry after the timeout');
    await waitFor(async () => (await notificationJobs(rt)).length === 0, 5000, 'the ack');
    for (const req of server.received) {
      expect(req.method).toBe('POST');
      expect(req.headers['custom-header']).toBe('value');
      expect(req.headers['authorization']).toBe('Bearer s3cret-token');
      expect(JSON.parse(req.body)).toMatchObject({ runId, status: 'succeeded' });
    }
    // The delivery error of the timed-out attempt was recorded; the secret never was.
    expect(JSON.stringify(await dumpTables(rt))).not.toContain('s3cret');
    expect(rt.lastError).toBeUndefined();
  });

  it('webhook classification: 2xx acks at once', async () => {
    const server = await endpoint([{ status: 202 }]);
    const { runtime: rt } = await fresh({ hooks: [webhookHook({ url: server.url })] });
    await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(() => server.received.length === 1, 5000, 'the POST');
    await waitFor(async () => (await notificationJobs(rt)).length === 0, 5000, 'the ack');
    await settle();
    expect(server.received).toHaveLength(1);
    expect(await rt.deadJobs()).toEqual([]);
  });

  it('webhook classification: 5xx and 408 retry, then a 2xx acks', async () => {
    const server = await endpoint([{ status: 503 }, { status: 408 }, { status: 500 }, { status: 200 }]);
    const { runtime: rt } = await fresh({ hooks: [webhookHook({ url: server.url })] });
    await rt.submit({ workflow: 'wf', input: '', maxAttempts: 5 });
    await waitFor(() => server.received.length === 4, 5000, 'four POSTs');
    await waitFor(async () => (await notificationJobs(rt)).length === 0, 5000, 'the ack');
    expect(await rt.deadJobs()).toEqual([]);
  });

  it('webhook classification: 5xx forever dead-letters after maxAttempts', async () => {
    const server = await endpoint([{ status: 502 }]);
    const { runtime: rt } = await fresh({ hooks: [webhookHook({ url: server.url })] });
    const { runId } = await rt.submit({ workflow: 'wf', input: '', maxAttempts: 2 });
    await waitFor(async () => (await rt.deadJobs()).length === 1, 5000, 'the dead notification');
    expect(server.received).toHaveLength(2);
    expect(await rt.deadJobs()).toEqual([expect.objectContaining({ kind: 'notification', runId, lastError: 'webhook answered HTTP 502' })]);
  });

  it('webhook classification: 429 with Retry-After waits that long on the runtime clock', async () => {
    const server = await endpoint([{ status: 429, headers: { 'Retry-After': '7' } }, { status: 200 }]);
    const { runtime: rt, clock } = await fresh({ hooks: [webhookHook({ url: server.url })] });
    await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(() => server.received.length === 1, 5000, 'the first POST');
    await waitFor(async () => (await notificationJobs(rt))[0]?.state === 'scheduled', 5000, 'the retry to be scheduled');
    expect((await notificationJobs(rt))[0]).toMatchObject({ runAt: T0 + 7000, lastError: 'webhook answered HTTP 429' });
    clock.advance(6999);
    await settle(100);
    expect(server.received).toHaveLength(1);
    clock.advance(1);
    await waitFor(() => server.received.length === 2, 5000, 'the retry');
    await waitFor(async () => (await notificationJobs(rt)).length === 0, 5000, 'the ack');
  });

  it('webhook classification: a huge Retry-After is capped at retry.maxDelayMs; an HTTP date is honoured', async () => {
    const when = new Date(Date.now() + 20_000).toUTCString();
    const server = await endpoint([{ status: 503, headers: { 'Retry-After': '100000' } }, { status: 503, headers: { 'Retry-After': when } }, { status: 200 }]);
    const { runtime: rt, clock } = await fresh({ retry: { baseDelayMs: 0, jitter: 0, maxDelayMs: 60_000 }, hooks: [webhookHook({ url: server.url })] });
    await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(async () => (await notificationJobs(rt))[0]?.state === 'scheduled', 5000, 'retry 1 scheduled');
    expect((await notificationJobs(rt))[0]!.runAt).toBe(T0 + 60_000);
    clock.advance(60_000);

    await waitFor(() => server.received.length === 2, 5000, 'the second POST');
    await waitFor(async () => (await notificationJobs(rt))[0]?.state === 'scheduled', 5000, 'retry 2 scheduled');
    const delay = (await notificationJobs(rt))[0]!.runAt - clock.now();
    expect(delay).toBeGreaterThan(15_000);
    expect(delay).toBeLessThanOrEqual(20_000);
    clock.advance(20_000);
    await waitFor(() => server.received.length === 3, 5000, 'the third POST');
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('webhook classification: other 4xx dead-letter at once', async () => {
    for (const status of [400, 401, 404, 410, 422]) {
      const server = await endpoint([{ status }]);
      const { runtime: rt } = await fresh({ hooks: [webhookHook({ url: server.url })] });
      const { runId } = await rt.submit({ workflow: 'wf', input: '', maxAttempts: 5 });
      await waitFor(async () => (await rt.deadJobs()).length === 1, 5000, `the dead notification (${status})`);
      await settle(20);
      expect(server.received).toHaveLength(1);
      expect(await rt.deadJobs()).toEqual([expect.objectContaining({ kind: 'notification', runId, attempts: 1, lastError: `webhook answered HTTP ${status}` })]);
      expect((await rt.status(runId))?.state).toBe('succeeded');
    }
  });

  it('webhook classification: a network error (connection refused) retries', async () => {
    const { runtime: rt } = await fresh({ hooks: [webhookHook({ url: await deadUrl() })] });
    const { runId } = await rt.submit({ workflow: 'wf', input: '', maxAttempts: 2 });
    await waitFor(async () => (await rt.deadJobs()).length === 1, 5000, 'the dead notification');
    const [dead] = await rt.deadJobs();
    expect(dead).toMatchObject({ kind: 'notification', runId, attempts: 2 });
    expect(dead!.lastError).toMatch(/^webhook delivery failed/);
  });

  it('webhook with an injected fetch: statuses and thrown errors are classified the same way', async () => {
    const calls: [string, RequestInit | undefined][] = [];
    const replies: (() => Response)[] = [
      () => {
        throw new TypeError('fetch failed');
      },
      () => new Response('busy', { status: 429 }),
      () => new Response(null, { status: 204 }),
    ];
    const fetchFake = (async (url: string | URL | Request, init?: RequestInit) => {
      calls.push([String(url), init]);
      return replies[calls.length - 1]!();
    }) as typeof fetch;
    const { runtime: rt } = await fresh({ hooks: [webhookHook({ url: 'https://hooks.example/x', fetch: fetchFake })] });
    await rt.submit({ workflow: 'wf', input: '', maxAttempts: 5 });
    await waitFor(async () => calls.length === 3 && (await notificationJobs(rt)).length === 0, 5000, 'three calls and the ack');
    expect(calls.map(([u, i]) => [u, i?.method])).toEqual([
      ['https://hooks.example/x', 'POST'],
      ['https://hooks.example/x', 'POST'],
      ['https://hooks.example/x', 'POST'],
    ]);
    // A bad URL is refused when the hook is built.
    expect(() => webhookHook({ url: 'not a url' })).toThrow();
  });

  it('a sealed terminal-effects handle rejects every staging call', async () => {
    let kept: TerminalEffects | undefined;
    const hook = recordingHook('keeper', (_o, e) => {
      kept = e;
      e.put('a', 'v');
      e.delete('b');
      e.enqueue({ queue: 'follow-up', payload: 1 });
    });
    const { runtime: rt } = await fresh({ hooks: [hook] });
    const { runId } = await rt.submit({ workflow: 'wf', input: '', kvWrites: { b: 'old' } });
    await rt.wait(runId);
    await waitFor(async () => (await rt.kv.get('a')) === 'v', 5000, 'the hook effects');
    await expect(rt.kv.get('b')).resolves.toBeUndefined();
    expect((await stats(rt, 'follow-up')).pending).toBe(1);
    for (const call of [() => kept!.put('c', 'v'), () => kept!.delete('c'), () => kept!.enqueue({ queue: 'follow-up', payload: 2 })]) {
      expect(isWorkflowError(thrown(call), 'EffectsSealed')).toBe(true);
    }
    await settle();
    await expect(rt.kv.get('c')).resolves.toBeUndefined();
    expect((await stats(rt, 'follow-up')).pending).toBe(1);
  });

  it('the terminal-effects handle enforces the same KV rules', async () => {
    const errors: unknown[] = [];
    const hook = recordingHook('rules', (_o, e) => {
      errors.push(thrown(() => e.put('workflow/x', 'v')));
      errors.push(thrown(() => e.delete('workflow/x')));
      e.put('a', 'v');
      errors.push(thrown(() => e.delete('a')));
      errors.push(thrown(() => e.enqueue({ queue: '', payload: 1 })));
      errors.push(thrown(() => e.put('big', 'x'.repeat(2000))));
    });
    const { runtime: rt } = await fresh({ maxPayloadBytes: 1000, hooks: [hook] });
    await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(async () => (await rt.kv.get('a')) === 'v', 5000, 'the hook');
    expect(errors.map((e) => (e as Error).name)).toEqual(['ReservedKvKey', 'ReservedKvKey', 'ConflictingKvEffect', 'InvalidQueueName', 'PayloadTooLarge']);
    expect(await rt.deadJobs()).toEqual([]); // the hook caught them; its notification was acked
  });

  it('hook delivery is at-least-once; its effects apply exactly once', async () => {
    const gate = deferred<void>();
    const outcomes: RunOutcome[] = [];
    const hook = {
      name: 'once',
      async onTerminal(o: RunOutcome, e: TerminalEffects) {
        outcomes.push(o);
        const call = outcomes.length;
        e.put('app/hooked', call);
        e.enqueue({ queue: 'mail', payload: call });
        if (call === 1) await gate.promise; // "crashes" before its acknowledgement commits
      },
    };
    const f = await fresh({ hooks: [hook], workflows: { wf: scriptedRunner([Outcome.next('x'), Outcome.succeed({ ok: true })]) } });
    const a = f.runtime;
    const { runId } = await a.submit({ workflow: 'wf', input: '', headers: { tenant: 't1' } });
    await waitFor(() => outcomes.length === 1, 5000, 'the first call');
    await a.stop({ drain: false }); // the crash: a's hook is still inside onTerminal
    const b = await f.reopen();
    await b.start(); // recovers a's claim and redelivers the notification
    await waitFor(async () => outcomes.length === 2 && (await notificationJobs(b)).length === 0, 5000, 'the redelivery');
    gate.resolve(); // a's late acknowledgement is fenced off
    await settle(100);
    expect(outcomes[1]).toEqual(outcomes[0]);
    expect(outcomes[0]).toMatchObject({ runId, status: 'succeeded', result: { ok: true }, headers: { tenant: 't1' }, finalStep: 1 });
    await expect(b.kv.get('app/hooked')).resolves.toBe(2);
    expect((await stats(b, 'mail')).pending).toBe(1);
    expect((await queueOf(b).claim('mail'))!.job.payload).toBe(2);
    expect(await b.deadJobs()).toEqual([]);
  });

  it('a pending notification survives a restart', async () => {
    const gate = deferred<void>();
    const entered = deferred<void>();
    const runner = async (s: Step) => {
      if (s.stepNumber === 0) return Outcome.next('p');
      entered.resolve();
      await gate.promise;
      return Outcome.succeed('r');
    };
    const first = recordingHook('notify');
    const f = await fresh({ hooks: [first], workflows: { wf: runner } });
    const { runId } = await f.runtime.submit({ workflow: 'wf', input: '', headers: { tenant: 't1', 'x-trace': 'abc' } });
    await entered.promise;
    const stopping = f.runtime.stop({ drain: true }); // stop claiming, let the last step settle
    gate.resolve();
    await stopping;
    await expect(f.runtime.status(runId)).resolves.toMatchObject({ state: 'succeeded' });
    expect(await notificationJobs(f.runtime)).toHaveLength(1);
    await f.runtime.close();
    expect(first.outcomes).toEqual([]);

    const second = recordingHook('notify');
    const next = await f.reopen({ hooks: [second] });
    await next.start();
    await waitFor(() => second.outcomes.length === 1, 5000, 'the hook after the restart');
    await settle();
    expect(second.outcomes).toEqual([
      { runId, workflow: 'wf', status: 'succeeded', result: 'r', headers: { tenant: 't1', 'x-trace': 'abc' }, finalStep: 1, submittedAt: T0, terminalAt: T0 },
    ]);
    expect(first.outcomes).toEqual([]);
  });
});
