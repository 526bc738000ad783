/**
 * The same guarantees with `ai` 6 and its OpenAI-compatible provider (2.x, LanguageModelV3),
 * installed side by side under aliases: `ai` 6's own `wrapLanguageModel` with
 * `durableMiddleware`, and `durableModel`, which keeps a V3 model V3.
 */
import { createOpenAICompatible } from 'ai-sdk-openai-compatible-v2';
import { generateText, streamText, wrapLanguageModel, type LanguageModelMiddleware } from 'ai-v6';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import type { Step } from '../../src/runtime/types.ts';
import { durableMiddleware, durableModel } from '../../src/ai.ts';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server.ts';
import { fresh } from '../runtime/lifecycle.ts';

const PROMPT = 'alpha beta gamma';
const ANSWER = `Echo: ${PROMPT}`;

/**
 * `@ai-sdk/provider` 3 (what `ai` 6 bundles) and 4 (whose types `stepwise/ai` is written
 * against) describe V3 prompts slightly differently (their provider-options types), so the
 * middleware's V3 type is asserted here; the object is the same.
 */
const v3Middleware = (step: Step) => durableMiddleware(step, { specificationVersion: 'v3' }) as unknown as LanguageModelMiddleware;

describe('durable models with ai 6 (LanguageModelV3)', () => {
  let server: OpenAiServer;
  const v3 = () => createOpenAICompatible({ name: 'local', baseURL: server.baseURL, apiKey: 'k' }).chatModel('gpt-4o-mini');
  beforeAll(async () => {
    server = await startOpenAiServer();
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  /** Asks on every attempt, fails the first attempt after the answer arrived. */
  function retried(ask: (step: Step) => Promise<string>) {
    return async (step: Step) => {
      const text = await ask(step);
      if (step.attempts === 1) throw StepError.transient('failed after the paid call');
      return Outcome.succeed({ text });
    };
  }

  it('keeps a V3 model V3', () => {
    const step = { signal: new AbortController().signal } as Step;
    expect(durableModel(step, v3()).specificationVersion).toBe('v3');
  });

  it('replays generateText through ai 6 wrapLanguageModel on a retry without a second request', async () => {
    const ask = retried(async (step) => {
      const model = wrapLanguageModel({ model: v3(), middleware: v3Middleware(step) });
      return (await generateText({ model, prompt: PROMPT, maxRetries: 0 })).text;
    });
    const { runtime } = await fresh({ workflows: { ask } });
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: ANSWER } });
    expect([server.requests, server.completed]).toEqual([1, 1]);
  });

  it('replays streamText through durableModel on a retry without a second request', async () => {
    const progress: unknown[] = [];
    const ask = retried(async (step) => {
      const spied = { ...step, progress: (u: unknown) => void progress.push(u), memo: step.memo, lease: step.lease, signal: step.signal } as Step;
      return streamText({ model: durableModel(spied, v3(), { progressIntervalMs: 0 }), prompt: PROMPT, maxRetries: 0 }).text;
    });
    const { runtime } = await fresh({ workflows: { ask } });
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: ANSWER } });
    expect([server.requests, server.completed]).toEqual([1, 1]);
    // The replay reports the whole recorded answer at once.
    expect(progress.at(-1)).toEqual({ kind: 'tokens', text: ANSWER, done: true });
  });
});
