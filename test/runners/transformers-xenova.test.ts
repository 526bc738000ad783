/**
 * The same adapter over @xenova/transformers 2.x (its `callback_function` token hook instead of
 * a streamer, `decoder_model_merged.onnx`, `{ quantized: false }`): exact outputs through a
 * Runtime step, progress, memo replay, abort between tokens.
 *
 * 2.x's onnxruntime-node 1.14 must be loaded by one test file per process: Vitest's default
 * `forks` pool gives each file its own.
 */
import * as xenova from '@xenova/transformers';
import { describe, expect, it } from 'vitest';
import type { Json } from '../../src/core/json.ts';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import type { RunEvent } from '../../src/core/types.ts';
import { createTransformers } from '../../src/runners/transformers.ts';
import type { Step } from '../../src/runtime/types.ts';
import { freshRuntime } from '../runtime/harness.ts';
import { expected, generation, manualStep, maxAbsDiff, MODELS_DIR } from './tiny-models.ts';

const tx = createTransformers({ library: xenova, localModelPath: MODELS_DIR, pipelineOptions: { quantized: false } });

describe('transformers runner (@xenova/transformers 2.x, Node)', () => {
  it('accepts the 2.x module: exact generation with progress, memo replay, exact embeddings', async () => {
    expect(tx.version).toMatch(/^2\./);
    const replays: boolean[] = [];
    const { runtime } = await freshRuntime({
      workflows: {
        gen: async (step: Step) => {
          const r = await tx.generate(step, { model: 'tiny-gpt2', prompt: 'Hello' });
          replays.push(r.replayed);
          if (step.attempts === 1) throw StepError.transient('crash after the model call');
          return Outcome.succeed(r as unknown as Json);
        },
        embed: async (step: Step) => Outcome.succeed((await tx.embed(step, { model: 'tiny-bert', texts: ['cat', 'It is snowing.'] })).embeddings),
      },
    });
    const events: RunEvent[] = [];
    runtime.subscribe((e) => events.push(e));
    const g = generation('Hello');
    const gen = await runtime.submit({ workflow: 'gen', input: null });
    expect((await runtime.wait(gen.runId)).result).toEqual({ text: g.text, generatedText: g.fullText, tokens: g.newIds.length, replayed: true });
    expect(replays).toEqual([false, true]);
    const texts = events.flatMap((e) => (e.type === 'progress' && e.runId === gen.runId ? [(e.update as { text: string }).text] : []));
    expect(texts).toEqual([...g.stream, g.text]);

    const emb = await runtime.submit({ workflow: 'embed', input: null });
    const vectors = (await runtime.wait(emb.runId)).result as number[][];
    expect(maxAbsDiff(vectors[0]!, expected['tiny-bert'].embeddings['cat']!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(vectors[1]!, expected['tiny-bert'].embeddings['It is snowing.']!)).toBeLessThan(1e-5);
    await runtime.close();
  });

  it('stops at the next token once the signal aborts', async () => {
    const reason = new Error('stop here');
    const step = manualStep({ onProgress: (_u, s) => s.updates.length === 2 && s.controller.abort(reason) });
    await expect(tx.generate(step, { model: 'tiny-gpt2', prompt: 'la', maxNewTokens: 100 })).rejects.toBe(reason);
    expect(step.updates.map((u) => (u as { text: string }).text)).toEqual(['la', 'la la']);
    expect(step.memoEntries.size).toBe(0);
  });
});
