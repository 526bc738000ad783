/**
 * `llm.chat` inside real runs (Runtime on fake-indexeddb, MockClock) against the local
 * OpenAI-compatible server: no second paid request on a retry or a redelivery, Retry-After on
 * the runtime clock, permanent 4xx, offline without spending attempts, live and checkpointed
 * progress, cancel, and no API key anywhere in the database afterwards.
 *
 * "Paid" = `server.completed`: answers the server delivered in full (see openai-server.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import type { RunEvent } from '../../src/core/types.ts';
import { createLlm, manualNetwork, type ChatRequest, type Llm, type LlmOptions } from '../../src/runners/llm.ts';
import type { Step } from '../../src/runtime/types.ts';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server.ts';
import { dumpTables } from '../runtime/dump.ts';
import { T0, deferred, settle, waitFor } from '../runtime/harness.ts';
import { fresh } from '../runtime/lifecycle.ts';
import { memoRecords } from '../runtime/peek.ts';

const KEY = 'sk-test-runtime-KEY-0123456789abcdef';
const ASK: ChatRequest = { messages: [{ role: 'user', content: 'alpha beta gamma delta epsilon' }] };
const ANSWER = 'Echo: alpha beta gamma delta epsilon';

/** A one-step workflow: ask, then succeed with the text (plus whatever `after` does in between). */
function askingRunner(llm: () => Llm, request: ChatRequest, after?: (step: Step) => Promise<void> | void) {
  return async (step: Step) => {
    const res = await llm().chat(step, request);
    await after?.(step);
    return Outcome.succeed({ text: res.content, replayed: res.replayed });
  };
}

describe('llm.chat in a run', () => {
  let server: OpenAiServer;
  const llm = (o: Partial<LlmOptions> = {}) => createLlm({ baseURL: server.baseURL, apiKey: KEY, model: 'gpt-4o-mini', progressIntervalMs: 0, ...o });
  beforeAll(async () => {
    server = await startOpenAiServer({ apiKey: KEY });
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  it('a retried step returns the recorded answer without a second request', async () => {
    const ask = askingRunner(() => llm(), { ...ASK, stream: true }, (step) => {
      if (step.attempts === 1) throw StepError.transient('failed after the paid call');
    });
    const { runtime } = await fresh({ workflows: { ask } });
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: ANSWER, replayed: true } });
    expect([server.requests, server.completed]).toEqual([1, 1]);
    const history = await runtime.history(runId);
    expect(history.map((h) => [h.attempt, h.outcome, h.memoHits])).toEqual([
      [1, 'retried', 0],
      [2, 'succeeded', 1],
    ]);
  });

  it('a step redelivered after its worker died returns the recorded answer without a second request', async () => {
    const stuck = deferred<void>();
    let calls = 0;
    const ask = askingRunner(() => llm(), ASK, async () => {
      if (++calls === 1) await stuck.promise; // "dies" after the paid answer, before settling
    });
    const f = await fresh({ workflows: { ask } });
    const { runId } = await f.runtime.submit({ workflow: 'ask', input: null });
    await waitFor(() => calls === 1, 5000, 'the paid call');
    await f.runtime.stop({ drain: false }); // the executor lets go; the claim is abandoned
    const next = await f.reopen();
    await next.start(); // recovers the abandoned claim at once and redelivers the step
    expect(await next.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: ANSWER, replayed: true } });
    expect([server.requests, server.completed]).toEqual([1, 1]);
    expect((await next.history(runId)).map((h) => [h.attempt, h.outcome, h.memoHits])).toEqual([
      [1, 'interrupted', 0],
      [2, 'succeeded', 1],
    ]);
    stuck.resolve();
  });

  it('429 with Retry-After retries at the server delay on the runtime clock', async () => {
    server.inject({ kind: 'status', status: 429, retryAfter: '30' });
    const ask = askingRunner(() => llm(), ASK);
    const { runtime, clock } = await fresh({ workflows: { ask }, retry: { baseDelayMs: 1000, jitter: 0 } });
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    await waitFor(async () => (await runtime.status(runId))?.state === 'scheduled', 5000, 'the retry to be scheduled');
    expect(await runtime.status(runId)).toMatchObject({ state: 'scheduled', attempts: 1, wakeAt: T0 + 30_000 });
    clock.advance(29_999);
    await settle(50);
    expect(server.requests).toBe(1);
    clock.advance(1);
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: ANSWER } });
    expect(server.requests).toBe(2);
    expect((await runtime.history(runId)).map((h) => [h.attempt, h.outcome, h.error ?? null])).toEqual([
      [1, 'retried', expect.stringMatching(/^LLM API answered HTTP 429: Rate limit reached/)],
      [2, 'succeeded', null],
    ]);
  });

  it('5xx is retried and dead-letters after the last attempt', async () => {
    server.inject(...Array.from({ length: 3 }, () => ({ kind: 'status' as const, status: 502 })));
    const { runtime } = await fresh({ workflows: { ask: askingRunner(() => llm(), ASK) } });
    const { runId } = await runtime.submit({ workflow: 'ask', input: null, maxAttempts: 3 });
    const outcome = await runtime.wait(runId);
    expect(outcome).toMatchObject({ status: 'failed', error: expect.stringMatching(/^LLM API answered HTTP 502: /) });
    expect([server.requests, server.completed]).toEqual([3, 0]);
    expect(await runtime.deadJobs()).toHaveLength(1);
  });

  it('a 4xx fails the run at once with the server message', async () => {
    server.inject({ kind: 'status', status: 400, message: "'messages' must contain at least one message." });
    const { runtime } = await fresh({ workflows: { ask: askingRunner(() => llm(), ASK) } });
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'failed', error: "LLM API answered HTTP 400: 'messages' must contain at least one message." });
    expect(server.requests).toBe(1);
    expect((await runtime.history(runId)).map((h) => [h.attempt, h.outcome])).toEqual([[1, 'deadLettered']]);
  });

  it('offline, the step waits for the network without spending an attempt', async () => {
    // The API is unreachable for real (nothing listens on its port) and the device is offline.
    const down = await startOpenAiServer({ apiKey: KEY });
    const { baseURL, port } = down;
    await down.close();
    const network = manualNetwork(false);
    const ask = askingRunner(() => llm({ baseURL, network }), ASK);
    const { runtime } = await fresh({ workflows: { ask }, retry: { maxAttempts: 1 } });
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    await waitFor(() => network.waiting === 1, 5000, 'the step to park offline');
    expect(await runtime.status(runId)).toMatchObject({ state: 'running', attempts: 1 });
    const up = await startOpenAiServer({ apiKey: KEY, port });
    try {
      network.setOnline(true);
      // maxAttempts 1: any spent attempt would have failed the run.
      expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: ANSWER } });
      expect([up.requests, up.completed]).toEqual([1, 1]);
      expect((await runtime.history(runId)).map((h) => [h.attempt, h.outcome])).toEqual([[1, 'succeeded']]);
    } finally {
      await up.close();
    }
  });

  it('shows streamed tokens live and in status().progress mid-generation', async () => {
    server.holdStreams(5); // role chunk + 4 tokens, then the stream waits
    const { runtime } = await fresh({ workflows: { ask: askingRunner(() => llm(), { ...ASK, stream: true }) } });
    const events: RunEvent[] = [];
    runtime.subscribe((e) => events.push(e));
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    await server.waitFor((s) => s.held === 1);
    const partial = 'Echo: alpha beta gamma ';
    await waitFor(async () => JSON.stringify((await runtime.status(runId))?.progress) === JSON.stringify({ kind: 'tokens', text: partial }), 5000, 'the checkpoint');
    const live = events.flatMap((e) => (e.type === 'progress' ? [(e.update as { text: string }).text] : []));
    expect(live).toEqual(['Echo: ', 'Echo: alpha ', 'Echo: alpha beta ', partial]);
    server.release();
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: ANSWER } });
    expect((await runtime.status(runId))?.progress).toBeUndefined(); // cleared by the settlement
    expect([server.requests, server.completed]).toEqual([1, 1]);
  });

  it('cancelling the run aborts the request in flight', async () => {
    server.holdStreams(3);
    const { runtime } = await fresh({ workflows: { ask: askingRunner(() => llm(), { ...ASK, stream: true }) } });
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    await server.waitFor((s) => s.held === 1);
    await runtime.cancel(runId);
    expect(await runtime.wait(runId)).toMatchObject({ status: 'cancelled' });
    await server.waitFor((s) => s.aborted === 1);
    expect(server.completed).toBe(0);
    expect(await memoRecords(runtime, runId)).toEqual([]);
  });

  it('leaves the API key nowhere in the database, statuses, history or progress', async () => {
    const wrongKey = 'sk-wrong-runtime-key-99887766554433';
    const flows = {
      good: askingRunner(() => llm({ headers: { 'x-secret-header': 'header-secret-abcdef' } }), { ...ASK, stream: true }),
      plain: askingRunner(() => llm(), ASK),
      // A rejected key that the server echoes: the failure message is stored as the run's error.
      rejected: askingRunner(() => llm({ apiKey: wrongKey }), ASK),
      flaky: askingRunner(() => llm(), { ...ASK, messages: [{ role: 'user', content: 'flaky' }], stream: true }),
    };
    const { runtime } = await fresh({ workflows: flows, memoRetentionMs: 3_600_000 });
    const events: RunEvent[] = [];
    runtime.subscribe((e) => events.push(e));
    server.inject({ kind: 'status', status: 429, retryAfter: '0' }); // taken by the first request (good)
    const ids: string[] = [];
    for (const workflow of Object.keys(flows)) {
      const { runId } = await runtime.submit({ workflow, input: null, headers: { tenant: 'acme' } });
      ids.push(runId);
      await runtime.wait(runId);
    }
    expect((await runtime.status(ids[2]!))?.error).toMatch(/^LLM API answered HTTP 401: Incorrect API key provided: \[redacted\]/);
    // The keys did reach the server.
    expect(server.log.map((r) => r.authorization)).toContain(`Bearer ${KEY}`);
    expect(server.log.map((r) => r.authorization)).toContain(`Bearer ${wrongKey}`);
    const everything = JSON.stringify({
      tables: await dumpTables(runtime),
      statuses: await Promise.all(ids.map((id) => runtime.status(id))),
      history: await Promise.all(ids.map((id) => runtime.history(id))),
      dead: await runtime.deadJobs(),
      events,
    });
    expect(everything).toContain(ANSWER); // the scan does see the stored answers
    for (const secret of [KEY, wrongKey, 'header-secret-abcdef']) expect(everything).not.toContain(secret);
  });
});
