/**
 * `durableTools` and `agentWorkflow` with `ai` 7, its `tool()` and its OpenAI-compatible
 * provider against the local server: tool calls across turns, at most one execution per tool
 * call, durable approvals answered by `sendEvent`, a rejection handed back to the model.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, tool, jsonSchema } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StepError } from '../../src/core/outcome.ts';
import { agentWorkflow, approvalKey } from '../../src/ai.ts';
import { startOpenAiServer, type OpenAiServer, type RecordedRequest } from '../support/openai-server.ts';
import { waitFor } from '../runtime/harness.ts';
import { fresh } from '../runtime/lifecycle.ts';

type Msg = { role: string; content?: unknown; tool_calls?: unknown[] };
const messagesOf = (r: RecordedRequest) => r.body['messages'] as Msg[];

/** The model: asks for the weather tool until it sees a tool result, then answers with it. */
function weatherModel(req: RecordedRequest) {
  const last = messagesOf(req).at(-1);
  if (last?.role === 'tool') return { content: `Final: ${String(last.content)}` };
  return { toolCalls: [{ name: 'weather', arguments: JSON.stringify({ city: 'Oslo' }) }] };
}

describe('agentWorkflow with ai 7 tools', () => {
  let server: OpenAiServer;
  const model = () => createOpenAICompatible({ name: 'local', baseURL: server.baseURL, apiKey: 'k' }).chatModel('gpt-4o-mini');
  beforeAll(async () => {
    server = await startOpenAiServer();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.reset();
    server.setReply(weatherModel);
  });

  function weather(executions: string[], options: { needsApproval?: boolean; failFirstSettle?: boolean } = {}) {
    return tool({
      description: 'The weather in a city',
      inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
      ...(options.needsApproval ? { needsApproval: true } : {}),
      execute: async ({ city }, { toolCallId }) => {
        executions.push(toolCallId);
        return `sunny in ${city}`;
      },
    });
  }

  it('runs a model turn per step, executes the tool once and ends with the final answer', async () => {
    const executions: string[] = [];
    const agent = agentWorkflow({ model: model(), tools: { weather: weather(executions) }, generateText });
    let failed = false;
    // The first turn's step fails after its tools ran: the retry must replay both from the memo.
    const flaky = async (step: Parameters<typeof agent>[0]) => {
      const outcome = await agent(step);
      if (step.stepNumber === 0 && !failed) {
        failed = true;
        throw StepError.transient('crashed before settling');
      }
      return outcome;
    };
    const { runtime } = await fresh({ workflows: { agent: flaky } });
    const { runId } = await runtime.submit({ workflow: 'agent', input: { prompt: 'weather in Oslo?' } });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: 'Final: sunny in Oslo', turns: 2 } });
    expect(executions).toEqual(['call_1_0']);
    expect([server.requests, server.completed]).toEqual([2, 2]);
    expect((await runtime.history(runId)).map((h) => [h.stepNumber, h.outcome])).toEqual([
      [0, 'retried'],
      [0, 'continued'],
      [1, 'succeeded'],
    ]);
  });

  it('fails the run at its turn limit', async () => {
    server.setReply(() => ({ toolCalls: [{ name: 'weather', arguments: '{"city":"Oslo"}' }] }));
    const agent = agentWorkflow({ model: model(), tools: { weather: weather([]) }, generateText, maxTurns: 2 });
    const { runtime } = await fresh({ workflows: { agent } });
    const { runId } = await runtime.submit({ workflow: 'agent', input: { prompt: 'loop' } });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'failed', error: 'the agent reached its limit of 2 turns without a final answer' });
    expect(server.completed).toBe(2);
  });

  it('parks a tool that needs approval until it is approved, then executes it', async () => {
    const executions: string[] = [];
    const agent = agentWorkflow({ model: model(), tools: { weather: weather(executions, { needsApproval: true }) }, generateText });
    const { runtime } = await fresh({ workflows: { agent } });
    const { runId } = await runtime.submit({ workflow: 'agent', input: { prompt: 'weather in Oslo?' } });
    await waitFor(async () => (await runtime.status(runId))?.state === 'waiting', 5000, 'the approval wait');
    expect(executions).toEqual([]);
    expect(server.completed).toBe(1);
    expect(await runtime.sendEvent(approvalKey(runId, 'call_1_0'), true)).toBe('delivered');
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: 'Final: sunny in Oslo' } });
    expect(executions).toEqual(['call_1_0']);
    expect(server.completed).toBe(2);
  });

  it('threads an approved tool result into the turns after it, so the tool runs once and the model sees its result', async () => {
    const executions: string[] = [];
    const clock = tool({
      description: 'The time of day',
      inputSchema: jsonSchema<Record<string, never>>({ type: 'object', properties: {} }),
      execute: async () => 'noon',
    });
    // Asks for the weather, then (having seen it) for the time, then answers with every tool result it saw.
    server.setReply((req) => {
      const results = messagesOf(req).filter((m) => m.role === 'tool').map((m) => String(m.content));
      if (results.length === 0) return { toolCalls: [{ name: 'weather', arguments: JSON.stringify({ city: 'Oslo' }) }] };
      if (results.length === 1) return { toolCalls: [{ name: 'clock', arguments: '{}' }] };
      return { content: `Final: ${results.join(' / ')}` };
    });
    const agent = agentWorkflow({ model: model(), tools: { weather: weather(executions, { needsApproval: true }), clock }, generateText });
    const { runtime } = await fresh({ workflows: { agent } });
    const { runId } = await runtime.submit({ workflow: 'agent', input: { prompt: 'weather and time?' } });
    await waitFor(async () => (await runtime.status(runId))?.state === 'waiting', 5000, 'the approval wait');
    await runtime.sendEvent(approvalKey(runId, 'call_1_0'), true);
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: 'Final: sunny in Oslo / noon', turns: 3 } });
    expect(executions).toEqual(['call_1_0']);
  });

  it('hands a rejected call back to the model as a denied tool result, without executing it', async () => {
    const executions: string[] = [];
    const agent = agentWorkflow({ model: model(), tools: { weather: weather(executions, { needsApproval: true }) }, generateText });
    const { runtime } = await fresh({ workflows: { agent } });
    const { runId } = await runtime.submit({ workflow: 'agent', input: { prompt: 'weather in Oslo?' } });
    await waitFor(async () => (await runtime.status(runId))?.state === 'waiting', 5000, 'the approval wait');
    await runtime.sendEvent(approvalKey(runId, 'call_1_0'), { approved: false, reason: 'not today' });
    const outcome = await runtime.wait(runId);
    expect(outcome.status).toBe('succeeded');
    expect(executions).toEqual([]);
    const toolMessage = messagesOf(server.log[1]!).at(-1);
    expect(toolMessage?.role).toBe('tool');
    expect(String(toolMessage?.content)).toContain('not today');
  });
});
