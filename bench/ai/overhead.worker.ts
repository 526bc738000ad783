/**
 * What `durableModel` adds to an AI SDK call, inside a module SharedWorker: the same
 * `generateText` / `streamText` on `@ai-sdk/openai-compatible` against the same local server,
 * bare, and as the one step of a run on a `Runtime` at concurrency 1 (submit → claim → memo
 * miss → the call → memo write → settlement → outcome). Every durable call is a new run, so
 * every one makes its request.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText, type LanguageModel } from 'ai';
import { durableModel } from '../../src/ai.ts';
import { Outcome } from '../../src/core/outcome.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import type { Step } from '../../src/runtime/types.ts';
import type { CallSample, OverheadCommand, OverheadResult } from './protocol.ts';

const MODEL = 'gpt-4o-mini';

type Timed = {
  callMs: number;
  ttftMs?: number;
  /** `performance.now()` at the first text delta (streams). */
  firstDeltaAt?: number;
};

async function timedGenerate(model: LanguageModel, prompt: string): Promise<Timed> {
  const t = performance.now();
  await generateText({ model, prompt, maxRetries: 0 });
  return { callMs: performance.now() - t };
}

async function timedStream(model: LanguageModel, prompt: string): Promise<Timed> {
  const t = performance.now();
  let failure: unknown;
  const r = streamText({ model, prompt, maxRetries: 0, onError: ({ error }) => void (failure = error) });
  let firstDeltaAt: number | undefined;
  for await (const delta of r.textStream) if (firstDeltaAt === undefined && delta.length > 0) firstDeltaAt = performance.now();
  if (failure) throw failure;
  const end = performance.now();
  return { callMs: end - t, ...(firstDeltaAt === undefined ? {} : { ttftMs: firstDeltaAt - t, firstDeltaAt }) };
}

let setup: Promise<{ rt: Runtime; model: LanguageModel }> | undefined;

function open(apiBase: string): Promise<{ rt: Runtime; model: LanguageModel }> {
  setup ??= (async () => {
    const provider = createOpenAICompatible({ name: 'local', baseURL: apiBase, apiKey: 'bench-key' });
    const model = provider.chatModel(MODEL);
    const rt = await Runtime.open({
      name: `bench-ai-${Date.now()}`,
      concurrency: 1,
      workflows: {
        generate: async (step: Step) => Outcome.succeed(await timedGenerate(durableModel(step, model), String(step.payload))),
        stream: async (step: Step) => Outcome.succeed(await timedStream(durableModel(step, model), String(step.payload))),
      },
    });
    await rt.start();
    return { rt, model };
  })();
  return setup;
}

async function call(cmd: OverheadCommand, i: number): Promise<CallSample> {
  const { rt, model } = await open(cmd.apiBase);
  const prompt = `${cmd.cell} ${i} ${Math.random().toString(36).slice(2)}`;
  if (cmd.cell === 'generate-bare' || cmd.cell === 'stream-bare') {
    const r = cmd.cell === 'generate-bare' ? await timedGenerate(model, prompt) : await timedStream(model, prompt);
    return { totalMs: r.callMs, callMs: r.callMs, ...(r.ttftMs === undefined ? {} : { ttftMs: r.ttftMs }) };
  }
  const t = performance.now();
  const { runId } = await rt.submit({ workflow: cmd.cell === 'generate-durable' ? 'generate' : 'stream', input: prompt });
  const o = await rt.wait(runId);
  const totalMs = performance.now() - t;
  if (o.status !== 'succeeded') throw new Error(`${cmd.cell}: run ended ${o.status}: ${o.error ?? ''}`);
  const r = o.result as unknown as Timed;
  return {
    totalMs,
    callMs: r.callMs,
    ...(r.firstDeltaAt === undefined ? {} : { ttftMs: r.firstDeltaAt - t, ttftInStepMs: r.ttftMs! }),
  };
}

async function run(cmd: OverheadCommand): Promise<OverheadResult> {
  for (let i = 0; i < cmd.warmup; i++) await call(cmd, -1 - i);
  const samples: CallSample[] = [];
  for (let i = 0; i < cmd.n; i++) samples.push(await call(cmd, i));
  return { cell: cmd.cell, samples };
}

(self as unknown as { onconnect: (e: MessageEvent) => void }).onconnect = (e: MessageEvent) => {
  const port = e.ports[0]!;
  port.onmessage = async (ev: MessageEvent<OverheadCommand>) => {
    try {
      port.postMessage({ ok: true, result: await run(ev.data) });
    } catch (err) {
      port.postMessage({ ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
  };
};
