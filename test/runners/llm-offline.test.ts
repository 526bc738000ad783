/**
 * Offline: a network failure while the platform says it is offline parks the call until the
 * `online` event instead of failing the attempt. The network fails for real (a reset
 * connection, a closed port); offline/online is driven through the `network` seam, because
 * nothing in Node (and, for a SharedWorker, nothing in Playwright) flips `navigator.onLine`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isStepError } from '../../src/core/outcome.ts';
import { createLlm, eventTargetNetwork, manualNetwork, type ChatRequest } from '../../src/runners/llm.ts';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server.ts';
import { fakeStep } from './fake-step.ts';
import { waitFor } from '../runtime/harness.ts';

const ASK: ChatRequest = { messages: [{ role: 'user', content: 'are you there' }] };

describe('llm.chat offline', () => {
  let server: OpenAiServer;
  beforeAll(async () => {
    server = await startOpenAiServer();
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  it('waits for the online event after a network failure while offline, then sends again', async () => {
    const network = manualNetwork(false);
    const step = fakeStep();
    server.inject({ kind: 'reset' });
    const call = createLlm({ baseURL: server.baseURL, network, leaseMs: 40 }).chat(step, { ...ASK, stream: true });
    await waitFor(() => network.waiting === 1, 5000, 'the call to park offline');
    // Parked: the lease is kept alive (heartbeat every leaseMs / 4) and no request is retried.
    const extensions = step.extensions.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(step.extensions.length).toBeGreaterThan(extensions);
    expect(server.requests).toBe(1);
    network.setOnline(true);
    const res = await call;
    expect(res).toMatchObject({ content: 'Echo: are you there', replayed: false });
    expect(server.requests).toBe(2);
    expect(server.completed).toBe(1);
  });

  it('also parks when a stream breaks off while offline', async () => {
    const network = manualNetwork(false);
    server.inject({ kind: 'drop', afterChunks: 2 });
    const call = createLlm({ baseURL: server.baseURL, network, progressIntervalMs: 0 }).chat(fakeStep(), { ...ASK, stream: true });
    await waitFor(() => network.waiting === 1, 5000, 'the call to park offline');
    network.setOnline(true);
    expect((await call).content).toBe('Echo: are you there');
    expect([server.requests, server.dropped, server.completed]).toEqual([2, 1, 1]);
  });

  it('does not wait while online: the failure is transient', async () => {
    const network = manualNetwork(true);
    server.inject({ kind: 'reset' });
    const err = await createLlm({ baseURL: server.baseURL, network }).chat(fakeStep(), ASK).catch((e: unknown) => e);
    expect(isStepError(err) && err.kind).toBe('transient');
    expect(network.waiting).toBe(0);
  });

  it('does not wait on an HTTP error while offline (the server answered)', async () => {
    const network = manualNetwork(false);
    server.inject({ kind: 'status', status: 503 });
    const err = await createLlm({ baseURL: server.baseURL, network }).chat(fakeStep(), ASK).catch((e: unknown) => e);
    expect(isStepError(err) && err.kind).toBe('transient');
    expect(network.waiting).toBe(0);
  });

  it('stops waiting when the step is aborted', async () => {
    const network = manualNetwork(false);
    const step = fakeStep();
    server.inject({ kind: 'reset' });
    const call = createLlm({ baseURL: server.baseURL, network }).chat(step, ASK).catch((e: unknown) => e);
    await waitFor(() => network.waiting === 1, 5000, 'the call to park offline');
    const reason = new Error('cancelled while offline');
    step.controller.abort(reason);
    expect(await call).toBe(reason);
    expect(server.requests).toBe(1);
  });

  it('reads navigator-style onLine and online events from any event target', async () => {
    const target = new EventTarget();
    const nav = { onLine: false };
    const network = eventTargetNetwork(nav, target);
    expect(network.isOnline()).toBe(false);
    let resolved = false;
    const wait = network.whenOnline(new AbortController().signal).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(resolved).toBe(false);
    nav.onLine = true;
    target.dispatchEvent(new Event('online'));
    await wait;
    expect(resolved).toBe(true);
    // Unknown (undefined) counts as online.
    expect(eventTargetNetwork({ onLine: undefined }, undefined).isOnline()).toBe(true);
  });
});
