/**
 * A step that uses an in-browser model, run on the server: the same workflow definition, with
 * the same transformers.js runner (`createTransformers` over @huggingface/transformers, here on
 * onnxruntime-node) and the generated tiny model read from the service's disk, handed off to a
 * real Restate server.
 */
import * as hf from '@huggingface/transformers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Json } from '../../src/core/json.ts';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import { createTransformers, type TransformersLibrary } from '../../src/runners/transformers.ts';
import type { StepRunner } from '../../src/runtime/types.ts';
import { generation, manualStep, MODELS_DIR } from '../runners/tiny-models.ts';
import { ended, handoff, newRunId, startRemote, statusUntil, type Remote } from './support.ts';

type Feeds = Record<string, unknown>;
interface Session {
  run(feeds: Feeds): Promise<unknown>;
}

/**
 * The library as the app passes it, with its model's forward passes counted; the pass numbered
 * `hold.at` waits for `hold.release()` (a step held mid-generation, for as long as the test needs).
 */
function instrumented() {
  const counts = { loads: 0, passes: 0 };
  let resume!: () => void;
  const released = new Promise<void>((r) => (resume = r));
  const hold = { at: Infinity, release: () => resume() };
  const pipeline = async (task: string, model: string, options: object) => {
    counts.loads++;
    const p = (await (hf.pipeline as unknown as (t: string, m: string, o: object) => Promise<unknown>)(task, model, options)) as { model: { sessions: Record<string, Session> } };
    const session = p.model.sessions['model']!;
    const run = session.run.bind(session);
    session.run = async (feeds) => {
      if (++counts.passes === hold.at) await released;
      return run(feeds);
    };
    return p;
  };
  const library: TransformersLibrary = { env: hf.env, pipeline };
  return { library, counts, hold };
}

const request = { model: 'tiny-gpt2', prompt: 'Hello', maxNewTokens: 16 } as const;
const onServer = instrumented();
const tx = createTransformers({ library: onServer.library, localModelPath: MODELS_DIR });
const deliveries: { attempt: number; replayed: boolean }[] = [];

/** The workflow as the browser's worker serves it; its first delivery dies after the model answered. */
const answer: StepRunner = async (step) => {
  const r = await tx.generate(step, request);
  deliveries.push({ attempt: step.attempts, replayed: r.replayed });
  if (step.attempts === 1) throw StepError.transient('the delivery ended after the model answered');
  return Outcome.succeed({ text: r.text, generatedText: r.generatedText, tokens: r.tokens });
};

let remote: Remote;
beforeAll(async () => {
  remote = await startRemote({ workflows: { answer }, retry: { baseDelayMs: 0 } });
}, 60_000);
afterAll(async () => {
  onServer.hold.release();
  await remote?.close();
});

it('runs a transformers.js step on the server with the output, progress and memo of a direct run', async () => {
  // The same runner, called directly in this process.
  const direct = instrumented();
  const step = manualStep();
  const expectedResult = await createTransformers({ library: direct.library, localModelPath: MODELS_DIR }).generate(step, request);
  expect(expectedResult.text).toBe(generation('Hello').text);
  const heldAfter = 2;
  const progressThen = step.updates.find((u) => (u as { tokens: number }).tokens === heldAfter);
  expect(progressThen).toBeDefined();

  // Pass heldAfter + 1 waits: the step is running on the server with heldAfter tokens streamed.
  onServer.hold.at = heldAfter + 1;
  const runId = newRunId();
  await remote.runs.start('alice', handoff('answer', runId, null));
  const running = await statusUntil(remote.runs, 'alice', runId, (s) => (s?.progress?.update as { tokens?: number } | undefined)?.tokens === heldAfter);
  expect(running).toMatchObject({ state: 'running', stepNumber: 0, attempts: 1, progress: { stepNumber: 0, update: progressThen } });
  onServer.hold.release();

  const s = await ended(remote.runs, 'alice', runId);
  expect(s).toMatchObject({ state: 'succeeded', attempts: 2 });
  expect(s.result).toEqual({ text: expectedResult.text, generatedText: expectedResult.generatedText, tokens: expectedResult.tokens } satisfies Json);
  // The second delivery replayed the memoized answer: the model ran one generation, loaded once.
  expect(deliveries).toEqual([
    { attempt: 1, replayed: false },
    { attempt: 2, replayed: true },
  ]);
  expect(onServer.counts).toEqual({ loads: 1, passes: direct.counts.passes });
  expect(direct.counts.passes).toBeGreaterThan(heldAfter);
}, 60_000);
