/**
 * `durableModel` with `ai` 7 in Chromium, where it is meant to run (`ai` 7 declares Node >= 22):
 * its OpenAI-compatible provider calling the local server over real HTTP from the page, memo
 * in the real IndexedDB. Requests are counted at the provider's `fetch`: a request that the
 * page does not send cannot reach the server.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText } from 'ai';
import { describe, expect, inject, it } from 'vitest';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import type { Step } from '../../src/runtime/types.ts';
import { durableModel } from '../../src/ai.ts';
import { fresh } from '../runtime/lifecycle.ts';

const PROMPT = 'alpha beta gamma delta';
const ANSWER = `Echo: ${PROMPT}`;

function countingProvider() {
  const calls = { n: 0 };
  const provider = createOpenAICompatible({
    name: 'local',
    baseURL: inject('aiServerURL'),
    apiKey: 'k',
    fetch: (input, init) => {
      calls.n++;
      return fetch(input, init);
    },
  });
  return { calls, model: provider.chatModel('gpt-4o-mini') };
}

describe('durableModel with ai 7 in Chromium', () => {
  for (const mode of ['generate', 'stream'] as const) {
    it(`replays a ${mode}d answer on a retry without a second request`, async () => {
      const { calls, model } = countingProvider();
      const ask = async (step: Step) => {
        const m = durableModel(step, model, { progressIntervalMs: 0 });
        const text = mode === 'generate' ? (await generateText({ model: m, prompt: PROMPT, maxRetries: 0 })).text : await streamText({ model: m, prompt: PROMPT, maxRetries: 0 }).text;
        if (step.attempts === 1) throw StepError.transient('failed after the paid call');
        return Outcome.succeed({ text });
      };
      const { runtime } = await fresh({ workflows: { ask } });
      const { runId } = await runtime.submit({ workflow: 'ask', input: null });
      expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: ANSWER } });
      expect(calls.n).toBe(1);
      expect((await runtime.history(runId)).map((h) => [h.outcome, h.memoHits])).toEqual([
        ['retried', 0],
        ['succeeded', 1],
      ]);
    });
  }
});
