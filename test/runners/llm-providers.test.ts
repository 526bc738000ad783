/**
 * `llm.chat` inside real runs against responses that providers really sent: each capture of
 * the corpus (test/fixtures/providers, sources in its README) is replayed byte for byte by the
 * local server, and the step's result is checked against what the provider documents its
 * fields to mean. Where a capture is long, the expected text is read from the capture itself
 * with a plain reading of the documented format (`deltas`), independent of the runner's code.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Json } from '../../src/core/json.ts';
import { Outcome } from '../../src/core/outcome.ts';
import type { RunEvent } from '../../src/core/types.ts';
import { createLlm, type ChatRequest, type ChatResult, type TokenProgress } from '../../src/runners/llm.ts';
import type { Step } from '../../src/runtime/types.ts';
import { recordedResponse, startOpenAiServer, type OpenAiServer } from '../support/openai-server.ts';
import { fresh } from '../runtime/lifecycle.ts';

const KEY = 'sk-test-providers-0123456789abcdef';
const DIR = fileURLToPath(new URL('../fixtures/providers/', import.meta.url));
const ASK: ChatRequest = { messages: [{ role: 'user', content: 'How many r are in strawberry?' }] };

type Chunk = { id?: string; model?: string; usage?: Json; choices?: { delta?: Record<string, unknown> }[] };

/** The data payloads of a `.chunks.txt` capture. */
function chunks(name: string): Chunk[] {
  return readFileSync(`${DIR}${name}`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Chunk);
}

/** What the documented format says a field streams: the concatenation of its string deltas. */
function deltas(name: string, field: string): string {
  return chunks(name)
    .flatMap((c) => c.choices ?? [])
    .map((c) => c.delta?.[field])
    .filter((v): v is string => typeof v === 'string')
    .join('');
}

function json(name: string): { choices: { message: Record<string, unknown> }[] } & Record<string, unknown> {
  return JSON.parse(readFileSync(`${DIR}${name}`, 'utf8')) as never;
}

describe('llm.chat against recorded provider responses', () => {
  let server: OpenAiServer;
  beforeAll(async () => {
    server = await startOpenAiServer({ apiKey: KEY });
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  /**
   * Replays `file` into a one-step run that asks once (twice with `again`: the second call
   * answers from the memo) and returns the run's outcome, the results and the progress updates.
   */
  async function replay(file: string, o: { stream?: boolean; pieceBytes?: number; again?: boolean; maxAttempts?: number } = {}) {
    server.inject(recordedResponse(`${DIR}${file}`, o.pieceBytes !== undefined ? { pieceBytes: o.pieceBytes } : {}));
    const llm = createLlm({ baseURL: server.baseURL, apiKey: KEY, model: 'any', progressIntervalMs: 0 });
    const results: ChatResult[] = [];
    const ask = async (step: Step) => {
      results.push(await llm.chat(step, { ...ASK, stream: o.stream === true }));
      if (o.again) results.push(await llm.chat(step, { ...ASK, stream: o.stream === true }));
      return Outcome.succeed(results[0]!.content);
    };
    const { runtime } = await fresh({ workflows: { ask } });
    const events: RunEvent[] = [];
    runtime.subscribe((e) => events.push(e));
    const { runId } = await runtime.submit({ workflow: 'ask', input: null, ...(o.maxAttempts ? { maxAttempts: o.maxAttempts } : {}) });
    const outcome = await runtime.wait(runId);
    const progress = events.flatMap((e) => (e.type === 'progress' ? [e.update as TokenProgress] : []));
    return { outcome, results, first: results[0], progress, history: await runtime.history(runId) };
  }

  it('OpenAI: streamed text, usage on the last chunk', async () => {
    const { outcome, first } = await replay('openai-text.chunks.txt', { stream: true, pieceBytes: 37 });
    const last = chunks('openai-text.chunks.txt').at(-1)!;
    expect(outcome.status).toBe('succeeded');
    expect(first).toMatchObject({ content: deltas('openai-text.chunks.txt', 'content'), finishReason: 'stop', id: last.id, model: last.model, usage: last.usage, reasoning: null, refusal: null, toolCalls: [] });
    expect(first!.content).toMatch(/^\*\*Holiday Name:\*\* Harmony Day/);
  });

  it('OpenAI: a plain answer, refusal null', async () => {
    const { first } = await replay('openai-text.json');
    const body = json('openai-text.json');
    expect(first).toMatchObject({ content: body.choices[0]!.message['content'], id: body['id'], model: body['model'], finishReason: 'stop', refusal: null });
  });

  it('Azure: the content-filter preamble with an empty id and model does not blank them', async () => {
    const { first } = await replay('azure-model-router.chunks.txt', { stream: true });
    expect(first).toMatchObject({ content: 'Capital of Denmark.', id: 'chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbt', model: 'gpt-5-nano-2025-08-07', finishReason: 'stop' });
    expect(first!.usage).toMatchObject({ completion_tokens: 78, total_tokens: 93 });
  });

  it('Mistral: streamed thinking and text parts become the reasoning and the text', async () => {
    const { outcome, first, progress } = await replay('mistral-reasoning.chunks.txt', { stream: true, pieceBytes: 7 });
    expect(outcome).toMatchObject({ status: 'succeeded', result: '2 + 2 = 4' });
    expect(first).toMatchObject({ content: '2 + 2 = 4', reasoning: 'The user is asking for 2+2. This is basic arithmetic. 2+2=4.', finishReason: 'stop', model: 'magistral-medium-2507' });
    expect(first!.message.content).toBe('2 + 2 = 4');
    // The thinking showed before the text did.
    expect(progress[0]).toEqual({ kind: 'tokens', text: '', reasoning: 'The user is asking' });
  });

  it('Mistral: a plain answer with content parts keeps its text in the result and in the memo', async () => {
    const { results } = await replay('mistral-reasoning.json', { again: true });
    expect(results.map((r) => [r.content, r.reasoning, r.replayed])).toEqual([
      ['2 + 2 = 4', 'The user is asking for 2+2. This is basic arithmetic. 2+2=4.', false],
      ['2 + 2 = 4', 'The user is asking for 2+2. This is basic arithmetic. 2+2=4.', true],
    ]);
    expect(server.requests).toBe(1);
  });

  it('DeepSeek: streamed reasoning_content reaches progress before the text', async () => {
    const file = 'deepseek-reasoning.chunks.txt';
    const { first, progress } = await replay(file, { stream: true });
    expect(first).toMatchObject({ content: 'The word "strawberry" contains three "r"s.', reasoning: deltas(file, 'reasoning_content'), finishReason: 'stop' });
    expect(first!.message['reasoning_content']).toBe(deltas(file, 'reasoning_content'));
    const beforeText = progress.filter((p) => p.text === '' && (p.reasoning ?? '') !== '');
    expect(beforeText.length).toBeGreaterThan(10);
    expect(progress.at(-1)).toEqual({ kind: 'tokens', text: first!.content, reasoning: first!.reasoning, done: true });
  });

  it('DeepSeek: a tool call with content "" answers content null', async () => {
    const { first } = await replay('deepseek-tool-call.json');
    expect(first).toMatchObject({ content: null, finishReason: 'tool_calls', toolCalls: [{ id: 'call_00_9V0vrf86Pc9aelHCJMZqnJBo', type: 'function', function: { name: 'weather', arguments: '{"location": "San Francisco"}' } }] });
    expect(first!.message.content).toBeNull();
    expect(first!.reasoning).toMatch(/^The user is asking for the weather in San Francisco/);
  });

  it('Groq: streamed reasoning (qwen3) and text', async () => {
    const file = 'groq-reasoning.chunks.txt';
    const { first } = await replay(file, { stream: true });
    expect(first).toMatchObject({ content: deltas(file, 'content'), reasoning: deltas(file, 'reasoning'), model: 'qwen/qwen3-32b' });
    expect(first!.reasoning).toMatch(/^Okay, let me try to figure out/);
  });

  it('Groq: a channel label sent on every delta is set, not appended', async () => {
    const file = 'groq-gpt-oss-channel.chunks.txt';
    const { first } = await replay(file, { stream: true });
    expect(chunks(file).filter((c) => c.choices?.[0]?.delta?.['channel'] === 'analysis')).toHaveLength(22);
    expect(first!.message['channel']).toBe('analysis');
    expect(first).toMatchObject({ content: deltas(file, 'content'), reasoning: deltas(file, 'reasoning') });
  });

  it('Groq: a plain tool call without content', async () => {
    const { first } = await replay('groq-tool-call.json');
    expect(first).toMatchObject({ content: null, finishReason: 'tool_calls', toolCalls: [{ id: 'ax9fskhev', function: { name: 'weather', arguments: '{}' } }] });
  });

  it('OpenRouter: streamed reasoning_details build one list that keeps the signature', async () => {
    const { first, progress } = await replay('openrouter-reasoning-details.sse', { stream: true, pieceBytes: 11 });
    const details = [{ type: 'reasoning.text', text: 'The user asks for 2+2, which is 4.', format: 'anthropic-claude-v1', index: 0, signature: 'EqQBCkgIBxABGAIiQExampleSignatureOnlyForTests==' }];
    expect(first).toMatchObject({ content: '2 + 2 = 4.', reasoning: 'The user asks for 2+2, which is 4.', reasoningDetails: details, finishReason: 'stop', id: 'gen-1760000000-ExAmPlEoPeNrOuTeR1' });
    expect(first!.message['reasoning_details']).toEqual(details);
    expect(progress[0]).toEqual({ kind: 'tokens', text: '', reasoning: 'The user asks' });
  });

  it('OpenRouter: a token limit reported mid-stream fails the run without asking again', async () => {
    const { outcome, history } = await replay('openrouter-token-limit.sse', { stream: true, maxAttempts: 3 });
    expect(outcome).toMatchObject({ status: 'failed', error: expect.stringMatching(/^LLM API reported an error mid-stream: Token limit reached/) });
    expect(history.map((h) => h.outcome)).toEqual(['deadLettered']);
    expect(server.requests).toBe(1);
  });

  it('OpenRouter: a 429 keeps the upstream reason from error.metadata.raw, and is retried', async () => {
    const { outcome, history } = await replay('openrouter-rate-limited.429.json', { maxAttempts: 2 });
    expect(outcome.status).toBe('succeeded'); // the second request gets the local server's own answer
    expect(history[0]).toMatchObject({
      outcome: 'retried',
      error: 'LLM API answered HTTP 429: Provider returned error (Google AI Studio: google/gemini-2.0-flash-exp:free is temporarily rate-limited upstream. Please retry shortly, or add your own key to accumulate your rate limits: https://openrouter.ai/settings/integrations)',
    });
  });

  it('vLLM: streamed reasoning and text', async () => {
    const { first } = await replay('vllm-reasoning.sse', { stream: true });
    expect(first).toMatchObject({ content: '9.8 is greater.', reasoning: '9.8 is 9.80, which exceeds 9.11.', finishReason: 'stop', model: 'Qwen/Qwen3-8B' });
  });

  it('vLLM: a plain answer with reasoning and an empty tool_calls list', async () => {
    const { first } = await replay('vllm-reasoning.json');
    expect(first).toMatchObject({ content: '9.8 is greater than 9.11.', reasoning: 'Compare 9.11 and 9.80: 80 hundredths exceed 11 hundredths.', toolCalls: [], finishReason: 'stop' });
  });

  it('Anthropic through an OpenAI-compatible gateway: text, then a tool call at index 1', async () => {
    const { first } = await replay('anthropic-fallback-tool-call.sse', { stream: true });
    expect(first).toMatchObject({ content: 'Reading it.', finishReason: 'tool_calls', model: 'claude-haiku-4-5-20251001', toolCalls: [{ id: 'toolu_sanitized', type: 'function', function: { name: 'read_file', arguments: '{"path": "a.txt"}' } }] });
  });
});
