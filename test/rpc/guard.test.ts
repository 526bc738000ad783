/**
 * The RPC guard in front of `comlink.expose` (src/rpc/guard.ts), with raw messages on a Node
 * MessageChannel: only calls of the declared methods with plain arguments reach the exposed
 * object; every other request with an id is refused `InvalidArgument`, and what is not a request
 * is dropped. The same matrix runs against a real SharedWorker in e2e/bad-input-client.e2e.ts.
 */
import { expose, wrap } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { guardedEndpoint, type Port } from '../../src/rpc/guard.ts';

interface Reply {
  id?: unknown;
  type?: string;
  name?: string;
  value?: { isError?: boolean; value?: { name?: string } } | unknown;
}

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

function served() {
  const api = {
    hello: async () => 'hi',
    echo: async (x: unknown) => x,
    secret: 42,
  };
  const channel = new MessageChannel();
  channels.push(channel);
  expose(api, guardedEndpoint(channel.port1 as unknown as Port, ['hello', 'echo']));
  const replies: Reply[] = [];
  channel.port2.addEventListener('message', (e) => replies.push((e as MessageEvent<Reply>).data));
  channel.port2.start();
  /** Posts the messages and waits until `n` replies arrived (then a little more, for strays). */
  const exchange = async (messages: unknown[], n: number) => {
    const start = replies.length;
    for (const m of messages) channel.port2.postMessage(m);
    for (let i = 0; i < 200 && replies.length - start < n; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 30));
    return replies.slice(start);
  };
  return { api, channel, exchange };
}

const errorName = (r: Reply | undefined) => ((r?.value as { value?: { name?: string } } | undefined)?.value?.name);

describe('rpc guard', () => {
  it('serves declared methods to a comlink client', async () => {
    const { channel } = served();
    const remote = wrap<{ hello(): Promise<string>; echo(x: unknown): Promise<unknown> }>(channel.port2);
    await expect(remote.hello()).resolves.toBe('hi');
    await expect(remote.echo({ a: [1] })).resolves.toEqual({ a: [1] });
  });

  it('refuses GET, SET, CONSTRUCT, ENDPOINT, unknown methods and non-plain arguments with InvalidArgument', async () => {
    const { api, exchange } = served();
    const refused = [
      { id: 'get', type: 'GET', path: ['secret'] },
      { id: 'set', type: 'SET', path: ['secret'], value: { type: 'RAW', value: 0 } },
      { id: 'construct', type: 'CONSTRUCT', path: ['hello'], argumentList: [] },
      { id: 'endpoint', type: 'ENDPOINT', path: [] },
      { id: 'unknown', type: 'APPLY', path: ['secret'], argumentList: [] },
      { id: 'nested', type: 'APPLY', path: ['hello', 'call'], argumentList: [] },
      { id: 'handler', type: 'APPLY', path: ['echo'], argumentList: [{ type: 'HANDLER', name: 'throw', value: { isError: true, value: {} } }] },
      { id: 'bare-arg', type: 'APPLY', path: ['echo'], argumentList: [1] },
      { id: 'no-args', type: 'APPLY', path: ['hello'] },
      // A RELEASE is served only in comlink's own form, `{ id, type: 'RELEASE' }`.
      { id: 'release-path', type: 'RELEASE', path: ['secret'] },
      { id: 'release-args', type: 'RELEASE', argumentList: [{ type: 'HANDLER', name: 'nonexistent', value: 1 }] },
      { id: 'release-args-string', type: 'RELEASE', argumentList: 'abc' },
    ];
    const replies = await exchange(refused, refused.length);
    expect(replies.map((r) => [r.id, r.type, r.name, errorName(r)])).toEqual(refused.map((m) => [m.id, 'HANDLER', 'throw', 'InvalidArgument']));
    expect(api.secret).toBe(42);
  });

  it('drops what is not a request, and answers a bare RELEASE', async () => {
    const { exchange } = served();
    const dropped = await exchange(['garbage', 42, null, [1], {}, { id: 7, type: 'APPLY', path: ['hello'], argumentList: [] }, { type: 'APPLY', path: ['hello'], argumentList: [] }], 0);
    expect(dropped).toEqual([]);
    const ok = await exchange([{ id: 'h', type: 'APPLY', path: ['hello'], argumentList: [] }], 1);
    expect(ok).toEqual([{ id: 'h', type: 'RAW', value: 'hi' }]);
    const release = await exchange([{ id: 'r', type: 'RELEASE' }], 1);
    expect(release).toEqual([{ id: 'r', type: 'RAW', value: undefined }]);
  });
});
