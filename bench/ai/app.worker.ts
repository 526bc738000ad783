/**
 * The second-tab cell's worker: `serve()` with one workflow, `stream`, that streams a long
 * answer from the local server through `streamText` and `durableModel` (default options: the
 * tokens reach `step.progress` at most every 100 ms). Query: `db`, `api`. The step records when
 * each text delta reached it, so the driver can compare the rate the worker received with the
 * rate a watching tab saw.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { streamText } from 'ai';
import { durableModel } from '../../src/ai.ts';
import { Outcome, serve, type Step } from '../../src/worker.ts';
import type { StreamInput, StreamOutput } from './protocol.ts';

const params = new URL(self.location.href).searchParams;
const provider = createOpenAICompatible({ name: 'local', baseURL: params.get('api') ?? '', apiKey: 'bench-key' });

async function stream(step: Step) {
  const { prompt } = step.payload as unknown as StreamInput;
  let failure: unknown;
  const r = streamText({ model: durableModel(step, provider.chatModel('gpt-4o-mini')), prompt, maxRetries: 0, onError: ({ error }) => void (failure = error) });
  const deltaAt: number[] = [];
  for await (const delta of r.textStream) if (delta.length > 0) deltaAt.push(performance.timeOrigin + performance.now());
  if (failure) throw failure;
  const out: StreamOutput = { tokens: deltaAt.length, deltaAt };
  return Outcome.succeed({ ...out });
}

serve({ name: params.get('db') ?? 'bench-ai-app', workflows: { stream } });
