/**
 * What `llm.chat` records and what it lets out: a malformed answer is never memoized (the next
 * attempt asks again), no fragment of a key reaches the database through a cut message, keys
 * returned by an `apiKey` function are forgotten with their request, and refusals stream to
 * progress with empty strings normalised to null.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Outcome } from '../../src/core/outcome.ts';
import type { RunEvent } from '../../src/core/types.ts';
import { createLlm, type ChatRequest, type LlmOptions, type TokenProgress } from '../../src/runners/llm.ts';
import { resolveConfig } from '../../src/runners/llm/config.ts';
import { FRAGMENT } from '../../src/runners/llm/redactor.ts';
import type { Step } from '../../src/runtime/types.ts';
import { startOpenAiServer, type Fault, type OpenAiServer } from '../support/openai-server.ts';
import { dumpTables } from '../runtime/dump.ts';
import { fresh } from '../runtime/lifecycle.ts';
import { fakeStep } from './fake-step.ts';

const KEY = 'sk-test-answers-0123456789abcdefghijklmnopqrstuvwxyz'; // 51 characters
const ASK: ChatRequest = { messages: [{ role: 'user', content: 'one two three' }] };
const ANSWER = 'Echo: one two three';

const sse = (...events: unknown[]): Fault => ({
  kind: 'replay',
  headers: { 'content-type': 'text/event-stream' },
  body: events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') + 'data: [DONE]\n\n',
});
const head = { id: 'chatcmpl-r1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini' };

/** Every `FRAGMENT`-character piece of `secret`: none may appear in stored text. */
function fragments(secret: string): string[] {
  return Array.from({ length: secret.length - FRAGMENT + 1 }, (_, i) => secret.slice(i, i + FRAGMENT));
}

describe('llm.chat answers and secrets', () => {
  let server: OpenAiServer;
  const llm = (o: Partial<LlmOptions> = {}) => createLlm({ baseURL: server.baseURL, apiKey: KEY, model: 'gpt-4o-mini', progressIntervalMs: 0, ...o });
  beforeAll(async () => {
    server = await startOpenAiServer({ apiKey: KEY });
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  async function runOnce(o: { request?: ChatRequest; llmOptions?: Partial<LlmOptions>; maxAttempts?: number } = {}) {
    const ask = async (step: Step) => Outcome.succeed((await llm(o.llmOptions).chat(step, o.request ?? ASK)).content);
    const { runtime } = await fresh({ workflows: { ask }, memoRetentionMs: 3_600_000 });
    const events: RunEvent[] = [];
    runtime.subscribe((e) => events.push(e));
    const { runId } = await runtime.submit({ workflow: 'ask', input: null, maxAttempts: o.maxAttempts ?? 2 });
    const outcome = await runtime.wait(runId);
    return { runtime, runId, outcome, events, history: await runtime.history(runId) };
  }

  it('does not record a plain answer without choices: the next attempt asks the server again', async () => {
    server.inject({ kind: 'replay', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [] }) });
    const { outcome, history } = await runOnce();
    expect(outcome).toMatchObject({ status: 'succeeded', result: ANSWER });
    expect(server.requests).toBe(2);
    expect(history.map((h) => [h.outcome, h.memoHits, h.error ?? null])).toEqual([
      ['retried', 0, 'LLM API sent a malformed answer: the completion has no choices'],
      ['succeeded', 0, null],
    ]);
  });

  it('does not record a stream that carried no choice: the next attempt asks the server again', async () => {
    server.inject(sse({ ...head, choices: [], usage: { prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 } }));
    const { outcome, history } = await runOnce({ request: { ...ASK, stream: true } });
    expect(outcome).toMatchObject({ status: 'succeeded', result: ANSWER });
    expect(server.requests).toBe(2);
    expect(history.map((h) => h.outcome)).toEqual(['retried', 'succeeded']);
  });

  it('stores no fragment of a key that an error message echoes across its cut', async () => {
    for (const at of [436, 446, 456]) { // the key crosses the 500-character cut
      const message = `${'x'.repeat(at)} rejected key ${KEY} for this request`;
      const echo = async () => Response.json({ error: { message } }, { status: 401 });
      const { runtime, runId, outcome } = await runOnce({ llmOptions: { fetch: echo } });
      expect(outcome.status).toBe('failed');
      const stored = JSON.stringify({ tables: await dumpTables(runtime), status: await runtime.status(runId), history: await runtime.history(runId) });
      expect(stored).toContain('rejected key');
      for (const f of fragments(KEY)) expect(stored).not.toContain(f);
    }
  });

  it('redacts a fragment of a key that a server masked down to a prefix', async () => {
    const masked = `Incorrect API key provided: ${KEY.slice(0, 12)}****************${KEY.slice(-4)}.`;
    const echo = createLlm({ baseURL: server.baseURL, apiKey: KEY, fetch: async () => Response.json({ error: { message: masked } }, { status: 401 }) });
    const err = (await echo.chat(fakeStep(), ASK).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('LLM API answered HTTP 401: Incorrect API key provided: [redacted]****************wxyz.');
  });

  it('forgets each key an apiKey function returned once its request is over', async () => {
    let n = 0;
    const cfg = resolveConfig({ baseURL: 'http://127.0.0.1:1/v1', apiKey: () => `sk-rotating-${String(++n).padStart(6, '0')}-abcdefgh` });
    for (let i = 0; i < 200; i++) {
      const { headers, redactor } = await cfg.authorize();
      expect(headers['authorization']).toBe(`Bearer sk-rotating-${String(n).padStart(6, '0')}-abcdefgh`);
      expect(redactor.redact(`echo ${headers['authorization']!.slice(7)}`)).toBe('echo [redacted]');
      expect(redactor.size).toBe(1);
    }
    expect(cfg.redactor.size).toBe(0);
  });

  it('redacts the key a function returned from that request\'s error', async () => {
    const rotating = 'sk-from-a-function-9988776655443322';
    const err = (await llm({ apiKey: async () => rotating }).chat(fakeStep(), ASK).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/^LLM API answered HTTP 401: Incorrect API key provided: \[redacted\]/);
    for (const f of fragments(rotating)) expect(err.message).not.toContain(f);
  });

  it('streams a refusal to progress and answers it with content null', async () => {
    server.inject(
      sse(
        { ...head, choices: [{ index: 0, delta: { role: 'assistant', content: null, refusal: '' }, finish_reason: null }] },
        { ...head, choices: [{ index: 0, delta: { refusal: "I'm sorry, " }, finish_reason: null }] },
        { ...head, choices: [{ index: 0, delta: { refusal: 'I cannot help with that.' }, finish_reason: null }] },
        { ...head, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      ),
    );
    const step = fakeStep();
    const res = await llm().chat(step, { ...ASK, stream: true });
    expect(res).toMatchObject({ content: null, refusal: "I'm sorry, I cannot help with that.", finishReason: 'stop' });
    expect(step.progressLog as TokenProgress[]).toEqual([
      { kind: 'tokens', text: '', refusal: "I'm sorry, " },
      { kind: 'tokens', text: '', refusal: "I'm sorry, I cannot help with that." },
      { kind: 'tokens', text: '', refusal: "I'm sorry, I cannot help with that.", done: true },
    ]);
  });

  it('normalises an empty refusal and an empty content beside tool calls to null', async () => {
    const body = {
      id: 'chatcmpl-n1',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: '', refusal: '', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] }, finish_reason: 'tool_calls' }],
    };
    server.inject({ kind: 'replay', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const res = await llm().chat(fakeStep(), ASK);
    expect(res).toMatchObject({ content: null, refusal: null, message: { content: null, refusal: null } });
  });

  it('refuses content parts it cannot read instead of answering an empty text', async () => {
    const body = { id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: [{ type: 'audio', data: 'AAAA' }] }, finish_reason: 'stop' }] };
    server.inject({ kind: 'replay', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const step = fakeStep();
    const err = await llm().chat(step, ASK).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'StepError', kind: 'permanent', message: 'LLM API answered with content Stepwise cannot read (parts of type audio)' });
    expect(step.memoEntries.size).toBe(0);
  });
});
