/**
 * What a step learns when the LLM API cannot be reached: a browser reports a server that is
 * down, unreachable, or answering without CORS headers as one bare "Failed to fetch".
 */
import { describe, expect, it } from 'vitest';
import { isStepError } from '../../src/core/outcome.ts';
import { createLlm } from '../../src/runners/llm.ts';
import { fakeStep } from './fake-step.ts';

describe('llm.chat against an unreachable server', () => {
  it('names the likely causes of "Failed to fetch": a server down, a missing CORS header, the device offline', async () => {
    const llm = createLlm({
      baseURL: 'https://llm.example.test/v1',
      apiKey: 'sk-unreachable-0123456789',
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    const err = await llm.chat(fakeStep(), { messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(isStepError(err) && err.kind).toBe('transient');
    const message = (err as Error).message;
    expect(message).toMatch(/^LLM API request failed: Failed to fetch\. /);
    expect(message).toContain('the server at baseURL is up and reachable');
    expect(message).toContain('CORS: a browser needs Access-Control-Allow-Origin');
    expect(message).toContain('the device is online');
    expect(message).not.toContain('sk-unreachable');
  });
});
