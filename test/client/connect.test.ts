/**
 * The page client against a served worker, in Node: `connect` ↔ `serve` over a MessageChannel,
 * fake-indexeddb below, Web Locks in memory (test/client/fake-origin.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import { Outcome } from '../../src/core/outcome.ts';
import type { RunEvent, RunStatus } from '../../src/core/types.ts';
import { names, type ChannelMessage } from '../../src/rpc/protocol.ts';
import type { ServeOptions } from '../../src/host/serve.ts';
import type { Step } from '../../src/runtime/types.ts';
import { deferred, gatedRunner, waitFor } from '../runtime/harness.ts';
import { freshStoreOptions } from '../support/idb.ts';
import { FakeOrigin, serving } from './fake-origin.ts';

let origin: FakeOrigin | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await origin?.close();
  origin = undefined;
});

async function served(workflows: ServeOptions['workflows'], options: Partial<ServeOptions> = {}) {
  const db = await freshStoreOptions();
  origin = new FakeOrigin(serving({ ...db, workflows, retry: { baseDelayMs: 0, jitter: 0 }, clock: new MockClock(), ...options }));
  return { db: db.name, origin, workerName: names.worker(db.name, false) };
}

const caught = (p: Promise<unknown>): Promise<unknown> => p.then((v) => ({ resolved: v }), (e: unknown) => e);

describe('connect ↔ serve', () => {
  it('submits a run through the client and wait resolves with its outcome', async () => {
    const { db, origin } = await served({ wf: async (step: Step) => Outcome.succeed({ echo: step.payload }) });
    const client = origin.connect({ name: db });
    expect(await client.mode).toBe('shared');
    const { runId } = await client.submit({ workflow: 'wf', input: 'hi', runId: 'r1' });
    await expect(client.wait(runId)).resolves.toMatchObject({ status: 'succeeded', result: { echo: 'hi' } });
  });

  it('gives a watcher the statuses of a run in order and drops an older snapshot that arrives late', async () => {
    const runner = gatedRunner(() => Outcome.succeed('done'));
    const { db, origin } = await served({ wf: runner });
    const client = origin.connect({ name: db });
    const seen: RunStatus[] = [];
    client.watch('r1', (s) => seen.push(s));
    const all: string[] = [];
    client.watch('*', (s) => all.push(s.runId));
    await client.submit({ workflow: 'wf', input: 1, runId: 'r1' });
    await runner.entered();
    await waitFor(() => seen.some((s) => s.state === 'running'), 5000, 'running');
    const latest = seen.at(-1)!;
    // A snapshot older than the one already delivered, then a marker: the channel keeps order.
    const forger = new BroadcastChannel(names.eventsChannel(db));
    forger.postMessage({ kind: 'run', event: { type: 'status', status: { ...latest, state: 'pending', updatedAt: latest.updatedAt - 1 } } } satisfies ChannelMessage);
    forger.postMessage({ kind: 'run', event: { type: 'status', status: { ...latest, runId: 'marker' } } } satisfies ChannelMessage);
    forger.close();
    await waitFor(() => all.includes('marker'), 5000, 'the marker');
    expect(seen.at(-1)).toEqual(latest);
    runner.release();
    await client.wait('r1');
    await waitFor(() => seen.at(-1)?.state === 'succeeded', 5000, 'succeeded');
    // Never back: each state seen comes after the ones before it in the run's life.
    const order: RunStatus['state'][] = ['pending', 'running', 'succeeded'];
    const ranks = seen.map((s) => order.indexOf(s.state));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(ranks.at(-1)).toBe(2);
  });

  it('merges each progress update into the latest status of its step, fetching the status of a run it has not seen yet', async () => {
    const go = deferred<void>();
    const { db, origin } = await served({
      wf: async (step: Step) => {
        step.progress({ tokens: 'a' });
        await go.promise;
        step.progress({ tokens: 'ab' });
        return Outcome.succeed('ok');
      },
    });
    const client = origin.connect({ name: db });
    const seen: [RunStatus, RunEvent][] = [];
    client.watch('*', (s, e) => seen.push([s, e]));
    await client.submit({ workflow: 'wf', input: 1, runId: 'r1' });
    // The first progress may arrive before any status of the run: the client fetches it.
    await waitFor(() => seen.some(([s]) => s.runId === 'r1' && s.state === 'running'), 5000, 'a status of the running run');
    go.resolve();
    await waitFor(() => seen.some(([, e]) => e.type === 'progress' && JSON.stringify(e.update) === '{"tokens":"ab"}'), 5000, 'the second progress');
    const merged = seen.find(([, e]) => e.type === 'progress' && JSON.stringify(e.update) === '{"tokens":"ab"}')![0];
    expect(merged).toMatchObject({ runId: 'r1', state: 'running', stepNumber: 0, progress: { tokens: 'ab' } });
  });

  it('rejects a call in flight with Unavailable when its worker dies, reconnects to a new worker and refreshes its watchers', async () => {
    const firstAttempt = deferred<void>();
    const { db, origin, workerName } = await served({
      wf: async (step: Step) => {
        if (step.attempts === 1) {
          firstAttempt.resolve();
          await new Promise(() => undefined); // runs until its worker dies
        }
        return Outcome.succeed({ attempts: step.attempts });
      },
    });
    const client = origin.connect({ name: db });
    const seen: RunStatus[] = [];
    client.watch('r1', (s) => seen.push(s));
    await client.submit({ workflow: 'wf', input: 1, runId: 'r1' });
    await firstAttempt.promise;
    const inFlight = caught(client.wait('r1'));
    const first = origin.worker(workerName)!;
    await origin.kill(workerName);
    expect(await inFlight).toMatchObject({ name: 'Unavailable', message: expect.stringContaining('retry the call') });
    await waitFor(() => client.reconnects === 1, 5000, 'the reconnect');
    expect(origin.worker(workerName)).not.toBe(first);
    // The new worker recovers the dead worker's claim at once and redelivers the step.
    await expect(client.wait('r1')).resolves.toMatchObject({ status: 'succeeded', result: { attempts: 2 } });
    await waitFor(() => seen.at(-1)?.state === 'succeeded', 5000, 'the watcher to see the end');
    expect(seen.at(-1)).toMatchObject({ attempts: 2 });
  });

  it('rejects every call and `mode` with a message naming both names when serve() serves another database', async () => {
    const { db, origin } = await served({ wf: async () => Outcome.succeed(1) });
    const client = origin.connect({ name: 'other' });
    const mode = await caught(client.mode);
    expect(mode).toMatchObject({ name: 'InvalidArgument' });
    const message = (mode as Error).message;
    expect(message).toContain(`'other'`);
    expect(message).toContain(`'${db}'`);
    expect(message).toContain('pass the same name to connect({ name }) and serve({ name })');
    expect(await caught(client.submit({ workflow: 'wf', input: 1 }))).toMatchObject({ name: 'InvalidArgument', message });
  });

  it('says that a left-out name means stepwise when connect() leaves it out and serve() names another', async () => {
    const { origin } = await served({ wf: async () => Outcome.succeed(1) });
    const client = origin.connect({});
    expect(await caught(client.status('r'))).toMatchObject({
      name: 'InvalidArgument',
      message: expect.stringContaining(`'stepwise' (the default, when name is left out)`),
    });
  });

  it('settles `mode` and every call within 5 s of loading when the worker module never calls serve(), saying to call it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    origin = new FakeOrigin(() => undefined);
    const client = origin.connect({ name: 'app' });
    const mode = caught(client.mode);
    const call = caught(client.status('r'));
    await vi.advanceTimersByTimeAsync(5_001);
    for (const e of [await mode, await call]) {
      expect(e).toMatchObject({ name: 'Unavailable', message: expect.stringContaining(`loaded but did not call serve() within 5000 ms. The module given to connect({ url }) must call serve({ name, workflows }) from 'stepwise/worker'`) });
    }
  });

  it('adopts a serve() called after the module loaded, within the grace', async () => {
    const db = await freshStoreOptions();
    const late = serving({ ...db, workflows: { wf: async () => Outcome.succeed('late') } });
    let started: (() => void) | undefined;
    origin = new FakeOrigin((env) => {
      started = () => void late(env);
      return undefined;
    });
    const client = origin.connect({ name: db.name });
    await waitFor(() => started !== undefined, 5000, 'the module to load');
    started!();
    expect(await client.mode).toBe('shared');
    await client.submit({ workflow: 'wf', input: null, runId: 'r' });
    await expect(client.wait('r')).resolves.toMatchObject({ result: 'late' });
  });

  it('names the url to check when a worker module that does not import stepwise/worker never answers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    origin = new FakeOrigin(() => undefined, { importsStepwise: false });
    const client = origin.connect({ name: 'app', url: '/src/main.ts' });
    const mode = caught(client.mode);
    await vi.advanceTimersByTimeAsync(5_001);
    expect(await Promise.race([mode, 'pending'])).toBe('pending'); // a slow module gets the full 15 s
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await mode).toMatchObject({ name: 'Unavailable', message: expect.stringContaining(`check that connect({ url }) names the module that calls serve() from 'stepwise/worker' (/src/main.ts)`) });
  });
});
