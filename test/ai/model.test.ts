/**
 * `durableModel` with `ai` 7 and its own OpenAI-compatible provider (`@ai-sdk/openai-compatible`
 * 3, LanguageModelV4) against the local OpenAI wire-format server, inside real runs (Runtime on
 * fake-indexeddb, MockClock). "Paid" = `server.completed`.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import type { RunEvent } from '../../src/core/types.ts';
import type { Step } from '../../src/runtime/types.ts';
import { durableModel } from '../../src/ai.ts';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server.ts';
import { dumpTables } from '../runtime/dump.ts';
import { T0, deferred, waitFor } from '../runtime/harness.ts';
import { fresh } from '../runtime/lifecycle.ts';
import { memoRecords } from '../runtime/peek.ts';

const KEY = 'sk-test-ai-sdk-KEY-0123456789abcdef';
const PROMPT = 'alpha beta gamma delta epsilon';
const ANSWER = `Echo: ${PROMPT}`;

describe('durableModel with ai 7 (LanguageModelV4)', () => {
  let server: OpenAiServer;
  const provider = (key = KEY, headers: Record<string, string> = {}) => createOpenAICompatible({ name: 'local', baseURL: server.baseURL, apiKey: key, headers });
  beforeAll(async () => {
    server = await startOpenAiServer({ apiKey: KEY });
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  /** One step: generateText or streamText through durableModel, then `after`, then succeed with the text. */
  function asking(mode: 'generate' | 'stream', after?: (step: Step) => Promise<void> | void, key?: string) {
    return async (step: Step) => {
      const model = durableModel(step, provider(key).chatModel('gpt-4o-mini'), { progressIntervalMs: 0, secrets: [KEY] });
      let text: string;
      if (mode === 'generate') text = (await generateText({ model, prompt: PROMPT, maxRetries: 0 })).text;
      else {
        let error: unknown;
        const result = streamText({ model, prompt: PROMPT, maxRetries: 0, onError: ({ error: e }) => void (error = e) });
        text = await Promise.resolve(result.text).catch((e: unknown) => Promise.reject(error ?? e));
        if (error) throw error;
      }
      await after?.(step);
      return Outcome.succeed({ text });
    };
  }

  it('answers generateText through the provider and replays it on a retry without a second request', async () => {
    const ask = asking('generate', (step) => {
      if (step.attempts === 1) throw StepError.transient('failed after the paid call');
    });
    const { runtime } = await fresh({ workflows: { ask } });
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: ANSWER } });
    expect([server.requests, server.completed]).toEqual([1, 1]);
    expect((await runtime.history(runId)).map((h) => [h.attempt, h.outcome, h.memoHits])).toEqual([
      [1, 'retried', 0],
      [2, 'succeeded', 1],
    ]);
  });

  it('replays a streamed answer to a step redelivered after its worker died, without a second request', async () => {
    const stuck = deferred<void>();
    let calls = 0;
    const ask = asking('stream', async () => {
      if (++calls === 1) await stuck.promise; // "dies" after the answer, before settling
    });
    const f = await fresh({ workflows: { ask } });
    const { runId } = await f.runtime.submit({ workflow: 'ask', input: null });
    await waitFor(() => calls === 1, 5000, 'the paid call');
    await f.runtime.stop({ drain: false });
    const next = await f.reopen();
    await next.start();
    expect(await next.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: ANSWER } });
    expect([server.requests, server.completed]).toEqual([1, 1]);
    expect((await next.history(runId)).map((h) => [h.attempt, h.outcome, h.memoHits])).toEqual([
      [1, 'interrupted', 0],
      [2, 'succeeded', 1],
    ]);
    stuck.resolve();
  });

  it('streams the partial answer to subscribers and checkpoints it while the stream is open', async () => {
    server.holdStreams(5); // role chunk + 4 tokens, then the stream waits
    const { runtime } = await fresh({ workflows: { ask: asking('stream') } });
    const events: RunEvent[] = [];
    runtime.subscribe((e) => events.push(e));
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    await server.waitFor((s) => s.held === 1);
    const partial = 'Echo: alpha beta gamma ';
    await waitFor(async () => (await runtime.status(runId))?.progress?.['text' as never] === partial, 5000, 'the checkpoint');
    expect((await runtime.status(runId))?.progress).toEqual({ kind: 'tokens', text: partial });
    const live = events.flatMap((e) => (e.type === 'progress' ? [(e.update as { text: string }).text] : []));
    expect(live).toEqual(['Echo: ', 'Echo: alpha ', 'Echo: alpha beta ', partial]);
    server.release();
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: ANSWER } });
    expect([server.requests, server.completed]).toEqual([1, 1]);
  });

  it('records neither a stream cut off midway nor its parts, and asks again on the retry', async () => {
    server.inject({ kind: 'drop', afterChunks: 3 });
    const { runtime } = await fresh({ workflows: { ask: asking('stream') } });
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: ANSWER } });
    expect([server.requests, server.completed, server.dropped]).toEqual([2, 1, 1]);
    expect((await runtime.history(runId)).map((h) => h.outcome)).toEqual(['retried', 'succeeded']);
  });

  it('does not record a stream that reported an error midway, and asks again on the retry', async () => {
    server.inject({ kind: 'errorEvent', afterChunks: 3, message: 'upstream overloaded' });
    const { runtime } = await fresh({ workflows: { ask: asking('stream') } });
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: ANSWER } });
    expect(server.requests).toBe(2);
    expect((await runtime.history(runId)).map((h) => h.outcome)).toEqual(['retried', 'succeeded']);
  });

  it('retries a 429 after the server Retry-After on the runtime clock', async () => {
    server.inject({ kind: 'status', status: 429, retryAfter: '30' });
    const { runtime } = await fresh({ workflows: { ask: asking('generate') }, retry: { baseDelayMs: 1, maxDelayMs: 600_000, jitter: 0 } });
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    await waitFor(async () => (await runtime.status(runId))?.state === 'scheduled', 5000, 'the retry');
    expect((await runtime.status(runId))?.wakeAt).toBe(T0 + 30_000);
    const history = await runtime.history(runId);
    expect(history[0]?.error).toMatch(/HTTP 429/);
  });

  it('fails the run at once on a rejected key, with the key redacted from the stored error', async () => {
    const wrong = 'sk-wrong-ai-sdk-key-99887766554433';
    const { runtime } = await fresh({ workflows: { ask: asking('generate', undefined, wrong) } });
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    const outcome = await runtime.wait(runId);
    expect(outcome.status).toBe('failed');
    expect(server.requests).toBe(1); // permanent: no retry
    expect(outcome.error).toMatch(/HTTP 401/);
    expect(outcome.error).not.toContain(wrong);
  });

  it('aborts the request in flight when the run is cancelled, and records nothing', async () => {
    server.holdStreams(3);
    const { runtime } = await fresh({ workflows: { ask: asking('stream') } });
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    await server.waitFor((s) => s.held === 1);
    await runtime.cancel(runId);
    expect(await runtime.wait(runId)).toMatchObject({ status: 'cancelled' });
    await server.waitFor((s) => s.aborted === 1);
    expect(server.completed).toBe(0);
    expect(await memoRecords(runtime, runId)).toEqual([]);
  });

  it('leaves the API key and request headers nowhere in the database, statuses, history or progress', async () => {
    const wrong = 'sk-wrong-ai-sdk-key-11223344556677';
    const headerSecret = 'header-secret-abcdef-123456';
    const withHeaders = async (step: Step) => {
      const model = durableModel(step, provider(KEY, { 'x-extra': headerSecret }).chatModel('gpt-4o-mini'), { progressIntervalMs: 0 });
      const r = streamText({ model, prompt: PROMPT, maxRetries: 0, headers: { 'x-call-secret': `${headerSecret}-call` } });
      return Outcome.succeed({ text: await r.text });
    };
    const flows = { streamed: withHeaders, plain: asking('generate'), rejected: asking('generate', undefined, wrong) };
    const { runtime } = await fresh({ workflows: flows, memoRetentionMs: 3_600_000 });
    const events: RunEvent[] = [];
    runtime.subscribe((e) => events.push(e));
    const ids: string[] = [];
    for (const workflow of Object.keys(flows)) {
      const { runId } = await runtime.submit({ workflow, input: null });
      ids.push(runId);
      await runtime.wait(runId);
    }
    expect(server.log.map((r) => r.authorization)).toContain(`Bearer ${wrong}`);
    expect(server.log[0]?.headers['x-call-secret']).toBe(`${headerSecret}-call`);
    const everything = JSON.stringify({
      tables: await dumpTables(runtime),
      statuses: await Promise.all(ids.map((id) => runtime.status(id))),
      history: await Promise.all(ids.map((id) => runtime.history(id))),
      events,
    });
    expect(everything).toContain(ANSWER);
    for (const secret of [KEY, wrong, headerSecret]) expect(everything).not.toContain(secret);
  });
});
