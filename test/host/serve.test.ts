/**
 * The worker side on its own, in Node: what `serve` answers on a port, the test clock channel
 * that only a MockClock worker serves, and development builds handing the executor role over.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MockClock, SystemClock } from '../../src/core/clock.ts';
import { Outcome } from '../../src/core/outcome.ts';
import { OPEN_FAILURE_CLOSE_MS, host, type HostHandle, type ServeOptions } from '../../src/host/serve.ts';
import { RUN_METHODS, WORKER_METHODS, isServingMessage, names, type ClockReply } from '../../src/rpc/protocol.ts';
import { waitFor } from '../runtime/harness.ts';
import { FakeLocks } from '../rpc/fake-locks.ts';
import { freshStoreOptions } from '../support/idb.ts';

const hosts: HostHandle[] = [];
const ports: MessagePort[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.shutdown();
  for (const p of ports.splice(0)) p.close();
});

/** A dedicated-worker host whose scope is one end of a MessageChannel; the page holds the other. */
async function dedicated(options: Partial<ServeOptions>, locks = new FakeLocks(), workerName = '') {
  const db = await freshStoreOptions();
  const { port1: page, port2: scope } = new MessageChannel();
  ports.push(page, scope);
  const received: unknown[] = [];
  page.addEventListener('message', (ev) => received.push((ev as MessageEvent).data));
  page.start();
  const h = host(
    { scope: scope as unknown as Parameters<typeof host>[0]['scope'], shared: false, locks: locks.client('worker'), workerName, close: () => undefined },
    { ...db, workflows: { wf: async () => Outcome.succeed(1) }, ...options },
  );
  hosts.push(h);
  return { db: db.name, page, received, h, locks };
}

function apply(page: MessagePort, id: string, method: string, args: unknown[] = []): void {
  page.postMessage({ id, type: 'APPLY', path: [method], argumentList: args.map((value) => ({ type: 'RAW', value })) });
}

const reply = (received: unknown[], id: string) => received.find((m) => (m as { id?: string }).id === id) as { value: unknown } | undefined;

describe('serve', () => {
  it('ends itself after answering when its database fails to open for a passing reason, and stays for a permanent one', async () => {
    const closed: string[] = [];
    const failing = (name: string) => ({ open: () => { throw new Error(`${name}: the disk is gone`); } }) as unknown as IDBFactory;
    for (const [label, options] of [
      ['storage', { indexedDB: failing('storage') }],
      ['options', { concurrency: -1 }],
    ] as const) {
      const db = await freshStoreOptions();
      const { port1: page, port2: scope } = new MessageChannel();
      ports.push(page, scope);
      const h = host(
        { scope: scope as unknown as Parameters<typeof host>[0]['scope'], shared: false, locks: new FakeLocks().client('worker'), workerName: '', close: () => closed.push(label) },
        { ...db, workflows: { wf: async () => Outcome.succeed(1) }, ...options },
      );
      hosts.push(h);
      const failure = await h.ready.then(() => undefined, (e: unknown) => e as { name: string });
      expect(failure?.name, label).toBe(label === 'storage' ? 'StoreError' : 'InvalidArgument');
    }
    await new Promise((r) => setTimeout(r, OPEN_FAILURE_CLOSE_MS + 200));
    expect(closed).toEqual(['storage']);
  });

  it('serves exactly hello and the RunApi methods, and says it serves on the port as soon as serve() runs', async () => {
    expect([...WORKER_METHODS].sort()).toEqual(['hello', ...RUN_METHODS].sort());
    expect(RUN_METHODS).toEqual(expect.arrayContaining(['submit', 'cancel', 'status', 'list', 'wait', 'sendEvent', 'clearEvent', 'deadJobs', 'requeueDead', 'history']));
    const { page, received, db } = await dedicated({ clock: new MockClock() });
    await waitFor(() => received.length > 0, 5000, 'a first message');
    expect(isServingMessage(received[0])).toBe(true);
    apply(page, 'h', 'hello');
    await waitFor(() => reply(received, 'h') !== undefined, 5000, 'the hello');
    expect(reply(received, 'h')!.value).toMatchObject({ name: db, mode: 'dedicated' });
    for (const method of ['advanceClock', 'setClock']) {
      apply(page, method, method, [1000]);
      await waitFor(() => reply(received, method) !== undefined, 5000, method);
      expect(reply(received, method)!.value).toMatchObject({ isError: true, value: { name: 'InvalidArgument', message: expect.stringContaining('unknown method') } });
    }
  });

  it('moves a MockClock worker’s time on the test channel, and refuses a bad ms there', async () => {
    const clock = new MockClock(1_000);
    const { db, locks, h } = await dedicated({ clock });
    await h.ready;
    expect((await locks.snapshot()).held?.map((l) => l.name)).toContain(names.clockLock(db, h.instanceId));
    const channel = new BroadcastChannel(names.testChannel(db));
    const replies: ClockReply[] = [];
    channel.onmessage = (ev: MessageEvent) => replies.push(ev.data as ClockReply);
    try {
      channel.postMessage({ kind: 'clock', id: 'a', op: 'advance', ms: 500 });
      channel.postMessage({ kind: 'clock', id: 'b', op: 'set', ms: Number.NaN });
      await waitFor(() => replies.length === 2, 5000, 'two replies');
      expect(replies.find((r) => r.id === 'a')).toMatchObject({ instanceId: h.instanceId, now: 1_500 });
      expect(replies.find((r) => r.id === 'b')).toMatchObject({ error: { name: 'InvalidArgument' } });
      expect(clock.now()).toBe(1_500);
    } finally {
      channel.close();
    }
  });

  it('serves no clock control and holds no clock lock on the system clock', async () => {
    const { db, locks, h } = await dedicated({ clock: new SystemClock() });
    await h.ready;
    expect((await locks.snapshot()).held?.map((l) => l.name ?? '').filter((n) => n.startsWith(names.clockLock(db, '')))).toEqual([]);
  });

  it('an older development build yields the executor role to a newer one and stops executing', async () => {
    const locks = new FakeLocks();
    const db = await freshStoreOptions();
    const start = (build: string, clientId: string) => {
      const { port2 } = new MessageChannel();
      ports.push(port2);
      const h = host(
        { scope: port2 as unknown as Parameters<typeof host>[0]['scope'], shared: false, locks: locks.client(clientId), workerName: names.worker(db.name, false, build), close: () => undefined },
        { ...db, workflows: { wf: async () => Outcome.succeed(build) }, clock: new MockClock() },
      );
      hosts.push(h);
      return h;
    };
    const old = start('1000', 'old');
    await old.executing;
    expect(locks.holder(names.executorLock(db.name))).toBe('old');
    const next = start('2000', 'new');
    await next.executing;
    expect(locks.holder(names.executorLock(db.name))).toBe('new');
    const rt = await next.ready;
    await rt.submit({ workflow: 'wf', input: null, runId: 'r' });
    await expect(rt.wait('r')).resolves.toMatchObject({ result: '2000' });
    expect((await old.ready).isRunning).toBe(false);
  });
});
