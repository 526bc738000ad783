/**
 * Each failure path of `llm.chat`, against the local server's injected faults: what the step
 * throws (transient with the server's Retry-After, or permanent with the server's message),
 * that nothing is memoized, and that no secret reaches a message.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import { isWorkflowError } from '../../src/core/errors.ts';
import { isStepError, type StepError } from '../../src/core/outcome.ts';
import { createLlm, type ChatRequest, type LlmOptions } from '../../src/runners/llm.ts';
import { startOpenAiServer, type Fault, type OpenAiServer } from '../support/openai-server.ts';
import { fakeStep, type FakeStep } from './fake-step.ts';

const KEY = 'sk-test-errors-0123456789abcdef';
const ASK: ChatRequest = { messages: [{ role: 'user', content: 'one two three four five six' }] };

describe('llm.chat failures', () => {
  let server: OpenAiServer;
  const llm = (o: Partial<LlmOptions> = {}) => createLlm({ baseURL: server.baseURL, apiKey: KEY, model: 'gpt-4o-mini', progressIntervalMs: 0, ...o });
  beforeAll(async () => {
    server = await startOpenAiServer({ apiKey: KEY });
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  /** Runs one call against `fault` and returns the StepError it threw, checking nothing was memoized. */
  async function failWith(fault: Fault | undefined, request: ChatRequest = ASK, o: Partial<LlmOptions> = {}, step: FakeStep = fakeStep()): Promise<StepError> {
    if (fault) server.inject(fault);
    const err = await llm(o).chat(step, request).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!isStepError(err)) throw new Error(`expected a StepError, got ${String(err)}`);
    expect(step.memoEntries.size).toBe(0);
    expect(err.message).not.toContain(KEY);
    return err;
  }

  it('429 is transient and carries the server Retry-After (seconds)', async () => {
    const err = await failWith({ kind: 'status', status: 429, retryAfter: '7' });
    expect(err.kind).toBe('transient');
    expect(err.retryAfterMs).toBe(7000);
    expect(err.message).toMatch(/^LLM API answered HTTP 429: Rate limit reached for gpt-4o-mini/);
  });

  it('prefers retry-after-ms when the server sends it', async () => {
    const err = await failWith({ kind: 'status', status: 429, retryAfter: '2', retryAfterMs: '1500' });
    expect(err.retryAfterMs).toBe(1500);
  });

  it('503 is transient and reads an HTTP-date Retry-After', async () => {
    const at = new Date(Date.now() + 60_000).toUTCString();
    const err = await failWith({ kind: 'status', status: 503, retryAfter: at });
    expect(err.kind).toBe('transient');
    expect(err.retryAfterMs).toBeGreaterThan(55_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('reads an HTTP-date Retry-After against the injected clock', async () => {
    const clock = new MockClock(Date.UTC(2030, 0, 1));
    const at = new Date(clock.now() + 90_000).toUTCString();
    const err = await failWith({ kind: 'status', status: 503, retryAfter: at }, ASK, { clock });
    expect(err.retryAfterMs).toBe(90_000);
  });

  it('500 without Retry-After is transient with the runtime backoff', async () => {
    const err = await failWith({ kind: 'status', status: 500 });
    expect(err.kind).toBe('transient');
    expect(err.retryAfterMs).toBeUndefined();
    expect(err.message).toBe('LLM API answered HTTP 500: The server had an error while processing your request. Sorry about that!');
  });

  it('other 4xx are permanent with the server message', async () => {
    const bad = await failWith({ kind: 'status', status: 400, message: "Invalid value for 'temperature': must be at most 2." });
    expect(bad.kind).toBe('permanent');
    expect(bad.message).toBe("LLM API answered HTTP 400: Invalid value for 'temperature': must be at most 2.");
    const missing = await failWith({ kind: 'status', status: 404, message: 'The model `gpt-9` does not exist or you do not have access to it.' });
    expect(missing).toMatchObject({ kind: 'permanent', message: 'LLM API answered HTTP 404: The model `gpt-9` does not exist or you do not have access to it.' });
    // A Retry-After on a 4xx does not make it retriable.
    expect((await failWith({ kind: 'status', status: 422, retryAfter: '1' })).kind).toBe('permanent');
  });

  it('a rejected key is permanent, and the key the server echoes is redacted', async () => {
    const wrong = 'sk-wrong-key-fedcba9876543210';
    const err = await failWith(undefined, ASK, { apiKey: wrong });
    expect(err.kind).toBe('permanent');
    expect(err.message).toBe('LLM API answered HTTP 401: Incorrect API key provided: [redacted]. You can find your API key at https://platform.openai.com/account/api-keys.');
    expect(err.message).not.toContain(wrong);
    expect(server.log[0]!.authorization).toBe(`Bearer ${wrong}`);
  });

  it('a connection dropped mid-stream is transient, and the partial text is not an answer', async () => {
    const step = fakeStep();
    const err = await failWith({ kind: 'drop', afterChunks: 4 }, { ...ASK, stream: true }, {}, step);
    expect(err.kind).toBe('transient');
    expect(err.message).toMatch(/^LLM API request failed: /);
    expect(server.dropped).toBe(1);
    expect(server.completed).toBe(0);
    // The tokens that arrived were shown, and nothing claims the answer is complete.
    expect(step.progressLog.at(-1)).toEqual({ kind: 'tokens', text: 'Echo: one two ' });
  });

  it('a connection dropped mid-body of a plain answer is transient', async () => {
    const err = await failWith({ kind: 'drop', afterChunks: 0 });
    expect(err.kind).toBe('transient');
  });

  it('a stream that ends without finish_reason or [DONE] is transient', async () => {
    const err = await failWith({ kind: 'truncate', afterChunks: 3 }, { ...ASK, stream: true });
    expect(err).toMatchObject({ kind: 'transient', message: 'LLM API stream ended before the answer was complete (10 characters received)' });
  });

  it('an error event inside the stream is transient with its message', async () => {
    const err = await failWith({ kind: 'errorEvent', afterChunks: 2, message: 'The model is overloaded.' }, { ...ASK, stream: true });
    expect(err).toMatchObject({ kind: 'transient', message: 'LLM API reported an error mid-stream: The model is overloaded.' });
  });

  it('a connection reset before any answer is transient while online', async () => {
    const err = await failWith({ kind: 'reset' });
    expect(err.kind).toBe('transient');
    expect(err.message).toMatch(/^LLM API request failed: /);
  });

  it('a refused connection is transient while online', async () => {
    const gone = await startOpenAiServer();
    const baseURL = gone.baseURL;
    await gone.close();
    const err = await failWith(undefined, ASK, { baseURL });
    expect(err.kind).toBe('transient');
    expect(err.message).toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('a body that is not a chat completion is transient', async () => {
    const odd = createLlm({ baseURL: server.baseURL, fetch: async () => new Response('{"object":"list","data":[]}', { headers: { 'content-type': 'application/json' } }) });
    const err = await odd.chat(fakeStep(), ASK).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'StepError', kind: 'transient', message: 'LLM API sent a malformed answer: the response is not a chat completion (no choices)' });
    const html = createLlm({ baseURL: server.baseURL, fetch: async () => new Response('<html>Bad gateway</html>', { headers: { 'content-type': 'text/html' } }) });
    expect(await html.chat(fakeStep(), ASK).catch((e: unknown) => e)).toMatchObject({ kind: 'transient', message: 'LLM API sent a malformed answer: the body is not JSON' });
  });

  it('an HTML error page gives a short message', async () => {
    const proxy = createLlm({ baseURL: server.baseURL, fetch: async () => new Response(`<html><body>${'x'.repeat(2000)}</body></html>`, { status: 502 }) });
    const err = (await proxy.chat(fakeStep(), ASK).catch((e: unknown) => e)) as StepError;
    expect(err.kind).toBe('transient');
    expect(err.message.length).toBeLessThan(600);
  });

  it('a request that is not JSON is rejected by name before anything is sent', async () => {
    const err = await llm().chat(fakeStep(), { messages: [{ role: 'user', content: 'x' }], temperature: Number.NaN }).catch((e: unknown) => e);
    expect(isWorkflowError(err, 'InvalidPayload')).toBe(true);
    const noMessages = await llm().chat(fakeStep(), {} as ChatRequest).catch((e: unknown) => e);
    expect(noMessages).toMatchObject({ name: 'StepError', kind: 'permanent' });
    expect(server.requests).toBe(0);
  });

  it('redacts secret headers and bearer tokens from messages', async () => {
    const secretHeader = 'azure-secret-value-1234567890';
    const echo = createLlm({
      baseURL: server.baseURL,
      apiKey: KEY,
      headers: { 'api-key': secretHeader },
      fetch: async () => Response.json({ error: { message: `bad api-key ${secretHeader}, also Bearer abc.def-ghi and ${KEY}` } }, { status: 403 }),
    });
    const err = (await echo.chat(fakeStep(), ASK).catch((e: unknown) => e)) as StepError;
    expect(err.message).toBe('LLM API answered HTTP 403: bad api-key [redacted], also Bearer [redacted] and [redacted]');
  });
});
