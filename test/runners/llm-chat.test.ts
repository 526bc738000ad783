/**
 * `llm.chat` against a real local OpenAI-compatible server: plain and streamed answers, tool
 * calls and parameters passed through, memo per step and request content, progress batches,
 * lease extension, abort and timeout. The step is a detached fake (fake-step.ts); the runtime
 * integration is in llm-runtime.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isWorkflowError } from '../../src/core/errors.ts';
import { MockClock } from '../../src/core/clock.ts';
import { isStepError } from '../../src/core/outcome.ts';
import { createLlm, type ChatRequest, type LlmOptions, type TokenProgress } from '../../src/runners/llm.ts';
import { startOpenAiServer, tokensOf, type OpenAiServer } from '../support/openai-server.ts';
import { fakeStep } from './fake-step.ts';
import { waitFor } from '../runtime/harness.ts';

const KEY = 'sk-test-chat-0123456789abcdef';
const ASK: ChatRequest = { messages: [{ role: 'user', content: 'the quick brown fox jumps over the lazy dog' }] };
const ANSWER = 'Echo: the quick brown fox jumps over the lazy dog';

describe('llm.chat', () => {
  let server: OpenAiServer;
  const llm = (o: Partial<LlmOptions> = {}) => createLlm({ baseURL: server.baseURL, apiKey: KEY, model: 'gpt-4o-mini', progressIntervalMs: 0, ...o });
  beforeAll(async () => {
    server = await startOpenAiServer({ apiKey: KEY });
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  it('answers a plain request with the assistant message, finish reason and usage', async () => {
    const step = fakeStep();
    const res = await llm().chat(step, ASK);
    expect(res).toMatchObject({
      message: { role: 'assistant', content: ANSWER },
      content: ANSWER,
      toolCalls: [],
      finishReason: 'stop',
      id: 'chatcmpl-1',
      model: 'gpt-4o-mini',
      replayed: false,
    });
    expect(res.usage).toMatchObject({ completion_tokens: tokensOf(ANSWER).length });
    expect(server.requests).toBe(1);
    expect(server.completed).toBe(1);
    const [req] = server.log;
    expect(req!.body).toEqual({ messages: ASK.messages, model: 'gpt-4o-mini' });
    expect(req!.authorization).toBe(`Bearer ${KEY}`);
    expect(step.progressLog).toEqual([]); // nothing streamed, nothing to show
  });

  it('streams tokens to step.progress and assembles the same answer', async () => {
    const step = fakeStep();
    const res = await llm().chat(step, { ...ASK, stream: true });
    expect(res).toMatchObject({ content: ANSWER, finishReason: 'stop', id: 'chatcmpl-1', replayed: false });
    expect(server.log[0]!.body['stream']).toBe(true);
    expect(server.completed).toBe(1);
    const updates = step.progressLog as TokenProgress[];
    // One update per token with a zero interval, each the whole text so far, then the final one.
    expect(updates.length).toBe(tokensOf(ANSWER).length + 1);
    let prev = '';
    for (const u of updates) {
      expect(u.kind).toBe('tokens');
      expect(u.text.startsWith(prev)).toBe(true);
      prev = u.text;
    }
    expect(updates.at(-1)).toEqual({ kind: 'tokens', text: ANSWER, done: true });
  });

  it('batches streamed tokens into fewer progress updates', async () => {
    const step = fakeStep();
    const clock = new MockClock(0);
    // Nothing moves the clock: after the first token every update waits for the interval,
    // so the stream produces exactly the first update and the final one.
    const res = await llm({ progressIntervalMs: 1000, clock }).chat(step, { ...ASK, stream: true });
    expect(res.content).toBe(ANSWER);
    expect(step.progressLog).toEqual([
      { kind: 'tokens', text: 'Echo: ' },
      { kind: 'tokens', text: ANSWER, done: true },
    ]);
  });

  it('passes tools and parameters through and returns the tool calls (plain and streamed)', async () => {
    const args = JSON.stringify({ location: 'Boston, MA', unit: 'celsius' });
    server.setReply(() => ({ toolCalls: [{ name: 'get_current_weather', arguments: args }, { name: 'get_time', arguments: '{}' }] }));
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_current_weather',
          description: 'Get the current weather in a given location',
          parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
        },
      },
    ];
    const request: ChatRequest = { ...ASK, tools, tool_choice: 'auto', temperature: 0.2, max_tokens: 64, user: 'u-1', stream_options: { include_usage: true } };
    for (const stream of [false, true]) {
      const res = await llm().chat(fakeStep(), { ...request, stream });
      expect(res.finishReason).toBe('tool_calls');
      expect(res.content).toBeNull();
      expect(res.toolCalls).toEqual([
        { id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_current_weather', arguments: args } },
        { id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ]);
      expect(res.message.tool_calls).toEqual(res.toolCalls);
      expect(res.usage).toMatchObject({ completion_tokens: 10 });
    }
    const [plain, streamed] = server.log;
    expect(plain!.body).toEqual({ ...request, model: 'gpt-4o-mini' });
    expect(streamed!.body).toEqual({ ...request, model: 'gpt-4o-mini', stream: true });
  });

  it('uses the request model over the default one', async () => {
    await llm().chat(fakeStep(), { ...ASK, model: 'o3-mini' });
    expect(server.log[0]!.body['model']).toBe('o3-mini');
  });

  it('returns the recorded answer without a second request when the step asks again', async () => {
    const memo = new Map();
    const first = await llm().chat(fakeStep({ memo }), { ...ASK, stream: true });
    // A redelivery of the same step: same memo, a new attempt.
    const again = fakeStep({ memo, attempts: 2 });
    const second = await llm().chat(again, { ...ASK, stream: true });
    expect(second).toEqual({ ...first, replayed: true });
    expect(server.requests).toBe(1);
    // A reloaded page gets the whole text at once.
    expect(again.progressLog).toEqual([{ kind: 'tokens', text: ANSWER, done: true }]);
  });

  it('keys the memo on the request content, not on the key, the headers or streaming', async () => {
    const memo = new Map();
    await llm().chat(fakeStep({ memo }), ASK);
    expect(memo.size).toBe(1);
    const rotated = createLlm({ baseURL: server.baseURL, apiKey: KEY, model: 'gpt-4o-mini', headers: { 'x-trace': 'abcdefgh-1' } });
    expect((await rotated.chat(fakeStep({ memo }), { ...ASK, stream: true })).replayed).toBe(true);
    expect(server.requests).toBe(1);
    // Different content, model or memoKey: a new call.
    expect((await llm().chat(fakeStep({ memo }), { messages: [{ role: 'user', content: 'other' }] })).replayed).toBe(false);
    expect((await llm().chat(fakeStep({ memo }), { ...ASK, model: 'gpt-4.1' })).replayed).toBe(false);
    expect((await llm().chat(fakeStep({ memo }), ASK, { memoKey: 'sample-2' })).replayed).toBe(false);
    expect(server.requests).toBe(4);
    // The memo holds answers only: no key, no header value.
    const stored = JSON.stringify([...memo.entries()]);
    expect(stored).not.toContain(KEY);
    expect(stored).not.toContain('abcdefgh-1');
  });

  it('extends the lease as tokens arrive', async () => {
    server.inject({ kind: 'slow', chunkDelayMs: 15 });
    const step = fakeStep();
    // leaseMs 40: at most one extension per 10 ms of a stream lasting ~200 ms.
    await llm({ leaseMs: 40 }).chat(step, { ...ASK, stream: true });
    expect(step.extensions.length).toBeGreaterThanOrEqual(4);
    expect(step.extensions.every((ms) => ms === 40)).toBe(true);
  });

  it('keeps the lease while a plain answer is slow to come', async () => {
    server.inject({ kind: 'slow', chunkDelayMs: 150 });
    const step = fakeStep();
    await llm({ leaseMs: 40 }).chat(step, ASK);
    expect(step.extensions.length).toBeGreaterThanOrEqual(4);
  });

  it('aborts the request when step.signal aborts, with the signal reason', async () => {
    server.holdStreams(3);
    const step = fakeStep();
    const call = llm().chat(step, { ...ASK, stream: true });
    await server.waitFor((s) => s.held === 1);
    await waitFor(() => (step.progressLog.at(-1) as TokenProgress | undefined)?.text === 'Echo: the ', 5000, 'the tokens before the hold');
    const reason = new Error('cancelled from outside');
    step.controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    await server.waitFor((s) => s.aborted === 1);
    expect(server.completed).toBe(0);
    expect(step.memoEntries.size).toBe(0);
  });

  it('does not send a request for an already aborted step', async () => {
    const step = fakeStep();
    step.controller.abort(new Error('gone'));
    await expect(llm().chat(step, ASK)).rejects.toThrow('gone');
    expect(server.requests).toBe(0);
  });

  it('aborts the request when the lease is lost', async () => {
    server.inject({ kind: 'slow', chunkDelayMs: 20 });
    const step = fakeStep();
    const call = llm({ leaseMs: 40 }).chat(step, { ...ASK, stream: true }).catch((e: unknown) => e);
    await server.waitFor((s) => (s.log[0]?.chunks ?? 0) >= 3);
    step.failLease('ClaimLost'); // the next token's extension finds the claim gone
    const err = await call;
    expect(isWorkflowError(err, 'ClaimLost')).toBe(true);
    await server.waitFor((s) => s.aborted === 1);
    expect(server.completed).toBe(0);
  });

  it('times out a request that takes too long, as transient', async () => {
    server.holdStreams(2);
    const err = await llm({ timeoutMs: 100 }).chat(fakeStep(), { ...ASK, stream: true }).catch((e: unknown) => e);
    expect(isStepError(err) && err.kind).toBe('transient');
    expect((err as Error).message).toBe('LLM API request timed out after 100 ms');
    await server.waitFor((s) => s.aborted === 1);
  });

  it('accepts a plain JSON answer to a stream request (a server that ignores stream)', async () => {
    const plainOnly = createLlm({
      baseURL: server.baseURL,
      apiKey: KEY,
      fetch: (url, init) => globalThis.fetch(url, { ...init, body: String(init?.body).replace('"stream":true', '"stream":false') }),
    });
    const res = await plainOnly.chat(fakeStep(), { ...ASK, stream: true });
    expect(res.content).toBe(ANSWER);
  });

  it('asks a key function before each request', async () => {
    let asked = 0;
    const res = await createLlm({ baseURL: server.baseURL, apiKey: async () => (asked++, KEY) }).chat(fakeStep(), ASK);
    expect(res.content).toBe(ANSWER);
    expect(asked).toBe(1);
  });

  it('rejects a bad configuration by name', () => {
    for (const baseURL of ['not a url', 'ftp://127.0.0.1/v1']) {
      let err: unknown;
      try {
        createLlm({ baseURL });
      } catch (e) {
        err = e;
      }
      expect(isWorkflowError(err, 'InvalidArgument')).toBe(true);
    }
  });
});
