/**
 * Bad input from a page, in real Chromium: every method of the `connect()` client
 * given wrong types, values that clone but are not JSON, values that do not clone at all
 * (functions, Symbols, DOM nodes), huge payloads, bad run ids, reserved headers and KV keys,
 * unknown workflows; runners that throw strings, return garbage or never settle; and raw
 * messages posted straight to the worker's port, past comlink. Each call gets a named
 * `WorkflowError` (or, for a raw message that is not even a request, no answer), the worker
 * keeps serving, and a dump of every object store read with the raw IndexedDB API is the same
 * before and after.
 *
 * The runtime's own matrix (the same inputs, Node, fake-indexeddb) is test/runtime/validation.test.ts;
 * this file is about what crosses the page/worker boundary.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { isWorkflowErrorName } from '../src/core/errors.ts';
import { waitForRun } from '../src/testing/page.ts';
import type {} from './fixtures/hardening.page.ts';
import { openFixture, useE2eServer, type Browsers } from './support/harness.ts';

/** This file's port range: 27700–27709. */
const PORT = 27700;
const MAX_BYTES = 64 * 1024;

/** A case's outcome in the page: `ok` with the value, or the error's name. */
type Seen = { label: string; ok: true; value: unknown } | { label: string; ok: false; name: string; message: string };

async function openPage(session: Awaited<ReturnType<Browsers['launch']>>, url: string): Promise<Page> {
  const page = await openFixture(session, url);
  await page.evaluate(() => window.app.mode);
  return page;
}

describe('bad input through the client and at the worker port', () => {
  const { browsers, origin } = useE2eServer(PORT);

  /** A waiting run, a KV key and a buffered event: state that bad calls must leave alone. */
  async function seeded(db: string): Promise<Page> {
    const session = await browsers.launch();
    const page = await openPage(session, `${origin()}/e2e/fixtures/hardening.html?db=${db}&maxBytes=${MAX_BYTES}`);
    await page.evaluate(async () => {
      await window.app.submit({ workflow: 'wait', runId: 'existing', input: { key: 'approval' }, kvWrites: { 'app/k': 1 } });
      await window.app.sendEvent('some-key', 'buffered');
    });
    await waitForRun(page, 'existing', { state: 'waiting', stepNumber: 1 });
    return page;
  }

  it('every client method rejects bad input with a named error and writes nothing', async () => {
    const page = await seeded('bad-client');
    const before = await page.evaluate(() => window.dumpDb());
    expect(Object.keys(before ?? {}).sort()).toEqual(['attempts', 'events', 'handoffs', 'history', 'jobs', 'kv', 'lg_blobs', 'lg_checkpoints', 'lg_writes', 'memos', 'queues', 'runs', 'terminals']);

    const seen = await page.evaluate(async (maxBytes): Promise<Seen[]> => {
      const app = window.app as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      const cyclic: Record<string, unknown> = {};
      cyclic['me'] = cyclic;
      const fn = () => 1;
      const spec = (extra: Record<string, unknown>) => ({ workflow: 'work', input: { steps: 1, stepMs: 1 }, ...extra });
      const cases: [string, () => unknown][] = [
        // submit: wrong types
        ['submit()', () => app.submit!()],
        ['submit(null)', () => app.submit!(null)],
        ['submit("work")', () => app.submit!('work')],
        ['submit([])', () => app.submit!([])],
        ['submit workflow 42', () => app.submit!({ workflow: 42, input: 1 })],
        ['submit priority 1.5', () => app.submit!(spec({ priority: 1.5 }))],
        ['submit maxAttempts 0', () => app.submit!(spec({ maxAttempts: 0 }))],
        ['submit headers {a:1}', () => app.submit!(spec({ headers: { a: 1 } }))],
        ['submit headers array', () => app.submit!(spec({ headers: ['x'] }))],
        ['submit kvWrites array', () => app.submit!(spec({ kvWrites: [] }))],
        ['submit kv key ""', () => app.submit!(spec({ kvWrites: { '': 1 } }))],
        ['submit unknown field', () => app.submit!(spec({ surprise: true }))],
        // unknown workflows
        ['submit workflow "nope"', () => app.submit!({ workflow: 'nope', input: 1 })],
        ['submit workflow "toString"', () => app.submit!({ workflow: 'toString', input: 1 })],
        // not JSON, but structured-cloneable: the worker refuses it
        ['submit no input', () => app.submit!({ workflow: 'work' })],
        ['submit input {a: undefined}', () => app.submit!({ workflow: 'work', input: { a: undefined } })],
        ['submit input [1, undefined]', () => app.submit!({ workflow: 'work', input: [1, undefined] })],
        ['submit input NaN', () => app.submit!({ workflow: 'work', input: Number.NaN })],
        ['submit input Infinity', () => app.submit!({ workflow: 'work', input: Infinity })],
        ['submit input BigInt', () => app.submit!({ workflow: 'work', input: 10n })],
        ['submit input Date', () => app.submit!({ workflow: 'work', input: new Date(0) })],
        ['submit input Map', () => app.submit!({ workflow: 'work', input: new Map([[1, 2]]) })],
        ['submit input Uint8Array', () => app.submit!({ workflow: 'work', input: new Uint8Array(2) })],
        ['submit input cycle', () => app.submit!({ workflow: 'work', input: cyclic })],
        ['submit kv value NaN', () => app.submit!(spec({ kvWrites: { 'app/x': Number.NaN } }))],
        // not cloneable at all: postMessage refuses it in the page (client: InvalidPayload)
        ['submit input function', () => app.submit!({ workflow: 'work', input: fn })],
        ['submit input nested function', () => app.submit!({ workflow: 'work', input: { deep: [{ fn }] } })],
        ['submit input Symbol', () => app.submit!({ workflow: 'work', input: Symbol('s') })],
        ['submit input DOM node', () => app.submit!({ workflow: 'work', input: document.body })],
        ['submit kv value function', () => app.submit!(spec({ kvWrites: { 'app/x': fn } }))],
        ['submit spec with a method', () => app.submit!({ ...spec({}), toJSON: fn })],
        // huge payloads
        ['submit input maxBytes+1', () => app.submit!({ workflow: 'work', input: 'x'.repeat(maxBytes - 1) })],
        ['submit input 20 MB', () => app.submit!({ workflow: 'work', input: 'x'.repeat(20_000_000) })],
        ['submit kv value too large', () => app.submit!(spec({ kvWrites: { 'app/big': 'x'.repeat(maxBytes + 1) } }))],
        ['submit headers too large', () => app.submit!(spec({ headers: { big: 'h'.repeat(20_000) } }))],
        // bad run ids
        ['submit runId ""', () => app.submit!(spec({ runId: '' }))],
        ['submit runId "run/1"', () => app.submit!(spec({ runId: 'run/1' }))],
        ['submit runId "run 1"', () => app.submit!(spec({ runId: 'run 1' }))],
        ['submit runId 129 chars', () => app.submit!(spec({ runId: 'a'.repeat(129) }))],
        ['submit runId 42', () => app.submit!(spec({ runId: 42 }))],
        ['submit runId null', () => app.submit!(spec({ runId: null }))],
        ['submit same runId, other input', () => app.submit!({ workflow: 'wait', runId: 'existing', input: { key: 'other' } })],
        // reserved headers and KV keys
        ['submit header workflow.run_id', () => app.submit!(spec({ headers: { 'workflow.run_id': 'evil' } }))],
        ['submit header workflow.', () => app.submit!(spec({ headers: { ok: '1', 'workflow.': 'v' } }))],
        ['submit kv key workflow/', () => app.submit!(spec({ kvWrites: { 'app/ok': 1, 'workflow/runs/x': 2 } }))],
        // the other methods
        ['cancel()', () => app.cancel!()],
        ['cancel(42)', () => app.cancel!(42)],
        ['cancel("bad id")', () => app.cancel!('bad id')],
        ['cancel({})', () => app.cancel!({})],
        ['cancel(function)', () => app.cancel!(fn)],
        ['status(null)', () => app.status!(null)],
        ['status(129 chars)', () => app.status!('a'.repeat(129))],
        ['status(Symbol)', () => app.status!(Symbol('s'))],
        ['list(null)', () => app.list!(null)],
        ['list("x")', () => app.list!('x')],
        ['list limit 0', () => app.list!({ limit: 0 })],
        ['list limit 1.5', () => app.list!({ limit: 1.5 })],
        ['list state bogus', () => app.list!({ state: 'bogus' })],
        ['list cursor', () => app.list!({ cursor: 'not-a-cursor' })],
        ['list workflow 5', () => app.list!({ workflow: 5 })],
        ['list function', () => app.list!({ workflow: fn })],
        ['wait("bad id")', () => app.wait!('bad id')],
        ['wait(unknown run)', () => app.wait!('no-such-run')],
        ['wait timeoutMs -1', () => app.wait!('existing', { timeoutMs: -1 })],
        ['wait timeoutMs "x"', () => app.wait!('existing', { timeoutMs: 'x' })],
        ['wait timeoutMs NaN', () => app.wait!('existing', { timeoutMs: Number.NaN })],
        ['wait timeoutMs function', () => app.wait!('existing', { timeoutMs: fn })],
        ['wait timeoutMs 0 on a waiting run', () => app.wait!('existing', { timeoutMs: 0 })],
        ['sendEvent("", 1)', () => app.sendEvent!('', 1)],
        ['sendEvent(5, 1)', () => app.sendEvent!(5, 1)],
        ['sendEvent key 513 chars', () => app.sendEvent!('k'.repeat(513), 1)],
        ['sendEvent no payload', () => app.sendEvent!('some-key')],
        ['sendEvent payload NaN', () => app.sendEvent!('some-key', Number.NaN)],
        ['sendEvent payload {a: undefined}', () => app.sendEvent!('some-key', { a: undefined })],
        ['sendEvent payload function', () => app.sendEvent!('some-key', fn)],
        ['sendEvent payload too large', () => app.sendEvent!('some-key', 'x'.repeat(maxBytes + 1))],
        ['clearEvent("")', () => app.clearEvent!('')],
        ['clearEvent(null)', () => app.clearEvent!(null)],
        ['deadJobs(null)', () => app.deadJobs!(null)],
        ['deadJobs("x")', () => app.deadJobs!('x')],
        ['deadJobs limit -1', () => app.deadJobs!({ limit: -1 })],
        ['deadJobs after 5', () => app.deadJobs!({ after: 5 })],
        ['requeueDead(5)', () => app.requeueDead!(5)],
        ['requeueDead(unknown job)', () => app.requeueDead!('no-such-job')],
        ['requeueDead(function)', () => app.requeueDead!(fn)],
        ['history(5)', () => app.history!(5)],
        ['history("bad id")', () => app.history!('bad id')],
        ['watch(5, 5)', () => (window.app.watch as (...a: unknown[]) => unknown)(5, 5)],
        ['handoff(5)', () => app.handoff!(5, { url: 'http://127.0.0.1:1/gw' })],
        ['handoff target null', () => app.handoff!('no-such-run', null)],
        ['handoff url ftp', () => app.handoff!('no-such-run', { url: 'ftp://127.0.0.1/gw' })],
        ['handoff(unknown run)', () => app.handoff!('no-such-run', { url: 'http://127.0.0.1:1/gw' })],
        // valid calls on nothing: answered, and nothing is written
        ['cancel(unknown run)', () => app.cancel!('no-such-run')],
        ['status(unknown run)', () => app.status!('no-such-run')],
        ['history(unknown run)', () => app.history!('no-such-run')],
        ['clearEvent(never sent)', () => app.clearEvent!('never-sent')],
        ['requeueDead("")', () => app.requeueDead!('')],
      ];
      const out: Seen[] = [];
      for (const [label, call] of cases) {
        try {
          out.push({ label, ok: true, value: await call() });
        } catch (e) {
          out.push({ label, ok: false, name: (e as Error).name, message: String((e as Error).message).slice(0, 200) });
        }
      }
      return out;
    }, MAX_BYTES);

    const expected: Record<string, string | { value: unknown }> = {
      'submit()': 'InvalidArgument',
      'submit(null)': 'InvalidArgument',
      'submit("work")': 'InvalidArgument',
      'submit([])': 'InvalidArgument',
      'submit workflow 42': 'InvalidArgument',
      'submit priority 1.5': 'InvalidArgument',
      'submit maxAttempts 0': 'InvalidArgument',
      'submit headers {a:1}': 'InvalidArgument',
      'submit headers array': 'InvalidArgument',
      'submit kvWrites array': 'InvalidArgument',
      'submit kv key ""': 'InvalidArgument',
      'submit unknown field': 'InvalidArgument',
      'submit workflow "nope"': 'UnknownWorkflow',
      'submit workflow "toString"': 'UnknownWorkflow',
      'submit no input': 'InvalidPayload',
      'submit input {a: undefined}': 'InvalidPayload',
      'submit input [1, undefined]': 'InvalidPayload',
      'submit input NaN': 'InvalidPayload',
      'submit input Infinity': 'InvalidPayload',
      'submit input BigInt': 'InvalidPayload',
      'submit input Date': 'InvalidPayload',
      'submit input Map': 'InvalidPayload',
      'submit input Uint8Array': 'InvalidPayload',
      'submit input cycle': 'InvalidPayload',
      'submit kv value NaN': 'InvalidPayload',
      'submit input function': 'InvalidPayload',
      'submit input nested function': 'InvalidPayload',
      'submit input Symbol': 'InvalidPayload',
      'submit input DOM node': 'InvalidPayload',
      'submit kv value function': 'InvalidPayload',
      'submit spec with a method': 'InvalidPayload',
      'submit input maxBytes+1': 'PayloadTooLarge',
      'submit input 20 MB': 'PayloadTooLarge',
      'submit kv value too large': 'PayloadTooLarge',
      'submit headers too large': 'PayloadTooLarge',
      'submit runId ""': 'InvalidRunId',
      'submit runId "run/1"': 'InvalidRunId',
      'submit runId "run 1"': 'InvalidRunId',
      'submit runId 129 chars': 'InvalidRunId',
      'submit runId 42': 'InvalidRunId',
      'submit runId null': 'InvalidRunId',
      'submit same runId, other input': 'InputMismatch',
      'submit header workflow.run_id': 'ReservedHeader',
      'submit header workflow.': 'ReservedHeader',
      'submit kv key workflow/': 'ReservedKvKey',
      'cancel()': 'InvalidRunId',
      'cancel(42)': 'InvalidRunId',
      'cancel("bad id")': 'InvalidRunId',
      'cancel({})': 'InvalidRunId',
      'cancel(function)': 'InvalidPayload',
      'status(null)': 'InvalidRunId',
      'status(129 chars)': 'InvalidRunId',
      'status(Symbol)': 'InvalidPayload',
      'list(null)': 'InvalidArgument',
      'list("x")': 'InvalidArgument',
      'list limit 0': 'InvalidArgument',
      'list limit 1.5': 'InvalidArgument',
      'list state bogus': 'InvalidArgument',
      'list cursor': 'InvalidArgument',
      'list workflow 5': 'InvalidArgument',
      'list function': 'InvalidPayload',
      'wait("bad id")': 'InvalidRunId',
      'wait(unknown run)': 'RunNotFound',
      'wait timeoutMs -1': 'InvalidArgument',
      'wait timeoutMs "x"': 'InvalidArgument',
      'wait timeoutMs NaN': 'InvalidArgument',
      'wait timeoutMs function': 'InvalidPayload',
      'wait timeoutMs 0 on a waiting run': 'Timeout',
      'sendEvent("", 1)': 'InvalidArgument',
      'sendEvent(5, 1)': 'InvalidArgument',
      'sendEvent key 513 chars': 'InvalidArgument',
      'sendEvent no payload': 'InvalidPayload',
      'sendEvent payload NaN': 'InvalidPayload',
      'sendEvent payload {a: undefined}': 'InvalidPayload',
      'sendEvent payload function': 'InvalidPayload',
      'sendEvent payload too large': 'PayloadTooLarge',
      'clearEvent("")': 'InvalidArgument',
      'clearEvent(null)': 'InvalidArgument',
      'deadJobs(null)': 'InvalidArgument',
      'deadJobs("x")': 'InvalidArgument',
      'deadJobs limit -1': 'InvalidArgument',
      'deadJobs after 5': 'InvalidArgument',
      'requeueDead(5)': 'InvalidArgument',
      'requeueDead(unknown job)': 'JobNotFound',
      'requeueDead(function)': 'InvalidPayload',
      'history(5)': 'InvalidRunId',
      'history("bad id")': 'InvalidRunId',
      'watch(5, 5)': 'InvalidArgument',
      'handoff(5)': 'InvalidRunId',
      'handoff target null': 'InvalidArgument',
      'handoff url ftp': 'InvalidArgument',
      'handoff(unknown run)': 'RunNotFound',
      'cancel(unknown run)': { value: false },
      'status(unknown run)': { value: undefined },
      'history(unknown run)': { value: [] },
      'clearEvent(never sent)': { value: false },
      'requeueDead("")': 'JobNotFound',
    };
    expect(seen.map((s) => s.label)).toEqual(Object.keys(expected));
    const got = Object.fromEntries(seen.map((s) => [s.label, s.ok ? { value: s.value } : s.name]));
    expect(got).toEqual(expected);
    // Every rejection is a name of the closed set, with a message saying what was wrong.
    for (const s of seen) {
      if (s.ok) continue;
      expect(isWorkflowErrorName(s.name), `${s.label}: ${s.name}`).toBe(true);
      expect(s.message.length, s.label).toBeGreaterThan(0);
    }
    expect(seen.find((s) => s.label === 'submit input function')).toMatchObject({ message: expect.stringMatching(/submit\(\).*not plain data/) as string });

    expect(await page.evaluate(() => window.dumpDb())).toEqual(before);
    // The worker still serves, and the seeded run is intact.
    expect(await page.evaluate(() => window.app.status('existing'))).toMatchObject({ state: 'waiting', eventKey: 'approval' });
  });

  it('events to nobody are buffered, and cancelling an unknown run answers false; nothing else changes', async () => {
    const page = await seeded('bad-nobody');
    const before = (await page.evaluate(() => window.dumpDb()))!;
    expect(await page.evaluate(() => window.app.cancel('no-such-run'))).toBe(false);
    expect(await page.evaluate(() => window.dumpDb())).toEqual(before);
    expect(await page.evaluate(() => window.app.sendEvent('nobody-waits', { n: 1 }))).toBe('buffered');
    const after = (await page.evaluate(() => window.dumpDb()))!;
    const added = (after['events'] as { key: string }[]).filter((e) => !(before['events'] as { key: string }[]).some((b) => b.key === e.key));
    expect(added).toEqual([{ key: 'nobody-waits', buffered: { payload: { n: 1 }, at: expect.any(Number) as number, id: expect.any(String) as string } }]);
    expect({ ...after, events: before['events'] }).toEqual(before);
    // A later waiter gets it (the buffer is the event's only effect).
    await page.evaluate(() => window.app.submit({ workflow: 'wait', runId: 'late-waiter', input: { key: 'nobody-waits' } }));
    expect(await waitForRun(page, 'late-waiter')).toMatchObject({ state: 'succeeded', result: { n: 1 } });
    expect(await page.evaluate(() => window.app.clearEvent('nobody-waits'))).toBe(false); // consumed
  });

  it('runners that throw a string, return garbage or never settle end their runs with a readable error', async () => {
    const session = await browsers.launch();
    // A short lease so that the runner that never settles is given up quickly (2 deliveries).
    const page = await openPage(session, `${origin()}/e2e/fixtures/hardening.html?db=bad-runners&maxBytes=${MAX_BYTES}&leaseMs=1500&reapMs=250`);
    const kinds = ['notAnOutcome', 'unknownKind', 'functionResult', 'nanPayload', 'hugeResult'];
    await page.evaluate(async (kinds) => {
      await window.app.submit({ workflow: 'throwString', runId: 'throws-string', input: null, maxAttempts: 2 });
      await window.app.submit({ workflow: 'never', runId: 'never-settles', input: null, maxAttempts: 2 });
      for (const kind of kinds) await window.app.submit({ workflow: 'garbage', runId: `garbage-${kind}`, input: { kind }, maxAttempts: 3 });
    }, kinds);

    const thrown = await waitForRun(page, 'throws-string');
    expect(thrown).toMatchObject({ state: 'failed', error: 'plain string' });
    expect((await page.evaluate(() => window.app.history('throws-string'))).map((h) => [h.attempt, h.outcome, h.error])).toEqual([
      [1, 'retried', 'plain string'],
      [2, 'deadLettered', 'plain string'],
    ]);

    const messages: Record<string, RegExp> = {
      notAnOutcome: /invalid outcome: expected an Outcome, got string/,
      unknownKind: /unknown kind "bogus"/,
      functionResult: /InvalidPayload/,
      nanPayload: /InvalidPayload/,
      hugeResult: /PayloadTooLarge/,
    };
    for (const kind of kinds) {
      const s = await waitForRun(page, `garbage-${kind}`);
      expect(s.state, kind).toBe('failed');
      expect(s.error, kind).toMatch(messages[kind]!);
      // Permanent: one delivery, not retried, whatever maxAttempts says.
      expect((await page.evaluate((id) => window.app.history(id), `garbage-${kind}`)).map((h) => [h.attempt, h.outcome]), kind).toEqual([[1, 'deadLettered']]);
    }

    const never = await waitForRun(page, 'never-settles', { timeoutMs: 60_000 });
    expect(never).toMatchObject({ state: 'failed', error: 'lease expired' });
    expect((await page.evaluate(() => window.app.history('never-settles'))).map((h) => [h.attempt, h.outcome])).toEqual([
      [1, 'leaseExpired'],
      [2, 'leaseExpired'],
    ]);
    const dead = await page.evaluate(() => window.app.deadJobs());
    expect(dead.map((d) => d.runId).sort()).toEqual(['never-settles', 'throws-string', ...kinds.map((k) => `garbage-${k}`)].sort());
    // None of them wrote an app KV effect, and the worker still runs work.
    const dump = (await page.evaluate(() => window.dumpDb()))!;
    expect(dump['kv']).toEqual([]);
    await page.evaluate(() => window.app.submit({ workflow: 'work', runId: 'still-fine', input: { steps: 2, stepMs: 10 } }));
    expect(await waitForRun(page, 'still-fine')).toMatchObject({ state: 'succeeded', result: [0, 1] });
  });

  it('the worker refuses raw messages that are not WorkerApi calls with plain arguments, keeps serving and writes nothing', async () => {
    const page = await seeded('bad-raw');
    const before = await page.evaluate(() => window.dumpDb());
    const raw = (id: string, extra: Record<string, unknown>) => ({ id, ...extra });
    const arg = (value: unknown) => ({ type: 'RAW', value });
    // Requests with a string id: each must be answered with a named error.
    const refused: [unknown, string][] = [
      [raw('get', { type: 'GET', path: ['submit'] }), 'InvalidArgument'],
      [raw('get-root', { type: 'GET', path: [] }), 'InvalidArgument'],
      [raw('set', { type: 'SET', path: ['submit'], value: arg(1) }), 'InvalidArgument'],
      [raw('construct', { type: 'CONSTRUCT', path: ['submit'], argumentList: [] }), 'InvalidArgument'],
      [raw('endpoint', { type: 'ENDPOINT', path: [] }), 'InvalidArgument'], // would expose an unguarded port
      [raw('bogus-type', { type: 'BOGUS', path: ['hello'], argumentList: [] }), 'InvalidArgument'],
      [raw('no-type', { path: ['hello'], argumentList: [] }), 'InvalidArgument'],
      [raw('unknown-method', { type: 'APPLY', path: ['dropTables'], argumentList: [] }), 'InvalidArgument'],
      [raw('constructor', { type: 'APPLY', path: ['constructor'], argumentList: [] }), 'InvalidArgument'],
      [raw('proto', { type: 'APPLY', path: ['__proto__'], argumentList: [] }), 'InvalidArgument'],
      [raw('nested-path', { type: 'APPLY', path: ['submit', 'call'], argumentList: [] }), 'InvalidArgument'],
      [raw('path-not-array', { type: 'APPLY', path: 'submit', argumentList: [] }), 'InvalidArgument'],
      [raw('path-number', { type: 'APPLY', path: [7], argumentList: [] }), 'InvalidArgument'],
      [raw('proxy-arg', { type: 'APPLY', path: ['submit'], argumentList: [{ type: 'HANDLER', name: 'proxy', value: { $port: true } }] }), 'InvalidArgument'],
      [raw('throw-arg', { type: 'APPLY', path: ['status'], argumentList: [{ type: 'HANDLER', name: 'throw', value: { isError: true, value: { name: 'x', message: 'y' } } }] }), 'InvalidArgument'],
      [raw('unknown-handler', { type: 'APPLY', path: ['status'], argumentList: [{ type: 'HANDLER', name: 'nonexistent', value: 1 }] }), 'InvalidArgument'],
      [raw('args-string', { type: 'APPLY', path: ['status'], argumentList: 'abc' }), 'InvalidArgument'],
      [raw('args-missing', { type: 'APPLY', path: ['hello'] }), 'InvalidArgument'],
      [raw('args-bare', { type: 'APPLY', path: ['status'], argumentList: ['existing'] }), 'InvalidArgument'],
      [raw('release-with-path', { type: 'RELEASE', path: ['constructor', 'constructor'] }), 'InvalidArgument'],
      [raw('release-with-args', { type: 'RELEASE', argumentList: [{ type: 'HANDLER', name: 'proxy', value: { $port: true } }] }), 'InvalidArgument'],
      [raw('release-args-string', { type: 'RELEASE', argumentList: 'abc' }), 'InvalidArgument'],
      // Well-formed calls with bad arguments reach the runtime, which names the problem.
      [raw('submit-bad-id', { type: 'APPLY', path: ['submit'], argumentList: [arg({ workflow: 'work', input: 1, runId: 'bad id' })] }), 'InvalidRunId'],
      [raw('submit-port-input', { type: 'APPLY', path: ['submit'], argumentList: [arg({ workflow: 'work', input: { $port: true } })] }), 'InvalidPayload'],
      [raw('submit-reserved', { type: 'APPLY', path: ['submit'], argumentList: [arg({ workflow: 'work', input: 1, headers: { 'workflow.step': '9' } })] }), 'ReservedHeader'],
      [raw('submit-huge', { type: 'APPLY', path: ['submit'], argumentList: [arg({ workflow: 'work', input: 'x'.repeat(MAX_BYTES + 1) })] }), 'PayloadTooLarge'],
      [raw('submit-unknown', { type: 'APPLY', path: ['submit'], argumentList: [arg({ workflow: 'nope', input: 1 })] }), 'UnknownWorkflow'],
      [raw('event-bad-key', { type: 'APPLY', path: ['sendEvent'], argumentList: [arg(''), arg(1)] }), 'InvalidArgument'],
      [raw('cancel-no-arg', { type: 'APPLY', path: ['cancel'], argumentList: [] }), 'InvalidRunId'],
      [raw('clock-no-arg', { type: 'APPLY', path: ['setClock'], argumentList: [] }), 'InvalidArgument'], // clock control is not on the RPC surface
    ];
    // Not requests at all (no string id): dropped without an answer.
    const dropped: unknown[] = ['garbage', 42, null, [1, 2], {}, { id: 42, type: 'APPLY', path: ['hello'], argumentList: [] }, { type: 'APPLY', path: ['submit'], argumentList: [arg({ workflow: 'work', input: 1 })] }];
    const replies = await page.evaluate(({ messages }) => window.rawExchange(messages, 10_000), { messages: [...refused.map(([m]) => m), ...dropped] });

    const nameOf = (data: unknown) => (data as { type?: string; name?: string; value?: { isError?: boolean; value?: { name?: string } } }).value?.value?.name;
    expect(replies.every((r) => r.to >= 0 && r.to < refused.length)).toBe(true); // nothing answered a dropped message
    const answered = new Map(replies.map((r) => [r.to, r.data]));
    refused.forEach(([m, name], i) => {
      const data = answered.get(i) as { type?: string; name?: string; value?: { isError?: boolean } } | undefined;
      expect(data, `no answer to ${JSON.stringify(m).slice(0, 120)}`).toBeDefined();
      expect({ type: data!.type, name: data!.name, isError: data!.value?.isError, error: nameOf(data) }, (m as { id: string }).id).toEqual({ type: 'HANDLER', name: 'throw', isError: true, error: name });
    });
    expect(replies).toHaveLength(refused.length);

    // The worker keeps serving: a raw hello, a bare release (comlink's own), and the page's client.
    const hello = await page.evaluate(() => window.rawExchange([{ id: 'hello', type: 'APPLY', path: ['hello'], argumentList: [] }]));
    expect(hello.map((r) => r.data)).toEqual([{ id: 'hello', type: 'RAW', value: expect.objectContaining({ protocol: 1, mode: 'shared' }) as unknown }]);
    // (A release closes its port once answered, so it goes last, on a port of its own.)
    const release = await page.evaluate(() => window.rawExchange([{ id: 'release', type: 'RELEASE' }]));
    expect(release.map((r) => r.data)).toEqual([{ id: 'release', type: 'RAW', value: undefined }]);
    expect(await page.evaluate(() => window.app.status('existing'))).toMatchObject({ state: 'waiting', eventKey: 'approval' });
    expect(await page.evaluate(() => window.dumpDb())).toEqual(before);
    await page.evaluate(() => window.app.submit({ workflow: 'work', runId: 'after-raw', input: { steps: 1, stepMs: 10 } }));
    expect(await waitForRun(page, 'after-raw')).toMatchObject({ state: 'succeeded', result: [0] });
  });

  it('rejects wait(runId, null) with a named InvalidArgument', async () => {
    const page = await seeded('bad-wait-null');
    const name = await page.evaluate(() => (window.app.wait as (...a: unknown[]) => Promise<unknown>)('existing', null).then(() => 'resolved', (e: Error) => e.name));
    expect(name).toBe('InvalidArgument');
  });
});
