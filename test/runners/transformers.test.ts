/**
 * `stepwise/runners/transformers` over @huggingface/transformers in Node (onnxruntime-node), on
 * the generated tiny models: exact outputs through Runtime steps, progress tokens, memo replay
 * on redelivery, abort between tokens, lease extension, one pipeline per model.
 */
import * as hf from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { isWorkflowError, WorkflowError } from '../../src/core/errors.ts';
import type { Json } from '../../src/core/json.ts';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import type { RunEvent } from '../../src/core/types.ts';
import { createTransformers, type GenerateRequest, type GenerateResult, type TransformersLibrary } from '../../src/runners/transformers.ts';
import type { Step } from '../../src/runtime/types.ts';
import { freshRuntime, T0 } from '../runtime/harness.ts';
import { expected, generation, manualStep, maxAbsDiff, MODELS_DIR } from './tiny-models.ts';

/** A library whose `pipeline()` calls are counted (same env, so the same configuration). */
function countingLibrary(): TransformersLibrary & { loads: string[] } {
  const loads: string[] = [];
  const pipeline = (task: string, model: string, options: object) => {
    loads.push(`${task}:${model}`);
    return (hf.pipeline as unknown as (t: string, m: string, o: object) => Promise<unknown>)(task, model, options);
  };
  return { env: hf.env, pipeline, loads };
}

const tx = createTransformers({ library: hf, localModelPath: MODELS_DIR });

function progressOf(events: RunEvent[], runId: string): Json[] {
  return events.flatMap((e) => (e.type === 'progress' && e.runId === runId ? [e.update] : []));
}

describe('transformers runner (@huggingface/transformers, Node)', () => {
  it('generates the exact expected texts in steps and streams every token to progress', async () => {
    const { runtime } = await freshRuntime({
      workflows: { gen: async (step: Step) => Outcome.succeed((await tx.generate(step, step.payload as unknown as GenerateRequest)) as unknown as Json) },
    });
    const events: RunEvent[] = [];
    runtime.subscribe((e) => events.push(e));
    for (const [prompt, max] of [['Hello', 16], ['ping', 16], ['one two', 16], ['the quick', 16], ['Hello', 3]] as const) {
      const g = generation(prompt, max);
      const { runId } = await runtime.submit({ workflow: 'gen', input: { model: 'tiny-gpt2', prompt, maxNewTokens: max } });
      const outcome = await runtime.wait(runId);
      expect(outcome.result).toEqual({ text: g.text, generatedText: g.fullText, tokens: g.newIds.length, replayed: false });
      const progress = progressOf(events, runId) as { text: string; done?: boolean }[];
      expect(progress.map((p) => p.text)).toEqual([...g.stream, g.text]);
      expect(progress.at(-1)).toEqual({ kind: 'tokens', text: g.text, tokens: g.newIds.length, model: 'tiny-gpt2', done: true });
    }
    expect(generation('Hello').fullText).toBe('hello world from a tiny model.');
    await runtime.close();
  });

  it('replays the memoized result on redelivery, and loads each pipeline once per worker', async () => {
    const library = countingLibrary();
    const counted = createTransformers({ library, localModelPath: MODELS_DIR });
    const results: GenerateResult[] = [];
    const { runtime } = await freshRuntime({
      workflows: {
        gen: async (step: Step) => {
          const r = await counted.generate(step, { model: 'tiny-gpt2', prompt: 'ping' });
          results.push(r);
          if (step.attempts === 1) throw StepError.transient('crash after the model call');
          return Outcome.succeed(r.text);
        },
      },
    });
    const events: RunEvent[] = [];
    runtime.subscribe((e) => events.push(e));
    const first = await runtime.submit({ workflow: 'gen', input: 1 });
    expect(await runtime.wait(first.runId)).toMatchObject({ status: 'succeeded', result: 'pong' });
    expect(results.map((r) => [r.text, r.replayed])).toEqual([['pong', false], ['pong', true]]);
    // Progress came from the first delivery only: the replay did not run the model.
    expect(progressOf(events, first.runId)).toHaveLength(2);
    const second = await runtime.submit({ workflow: 'gen', input: 2 });
    await runtime.wait(second.runId);
    expect(library.loads).toEqual(['text-generation:tiny-gpt2']);
    await runtime.close();
  });

  it('embeds texts to the exact expected vectors and replays them from the memo', async () => {
    const texts = ['cat', 'dog', 'pizza', 'It is snowing.', 'Hello, I like cats!'];
    const seen: Json[] = [];
    const { runtime } = await freshRuntime({
      workflows: {
        embed: async (step: Step) => {
          const r = await tx.embed(step, { model: 'tiny-bert', texts });
          seen.push(r as unknown as Json);
          if (step.attempts === 1) throw StepError.transient('retry');
          return Outcome.succeed(r.embeddings);
        },
      },
    });
    const { runId } = await runtime.submit({ workflow: 'embed', input: null });
    const outcome = await runtime.wait(runId);
    const vectors = outcome.result as number[][];
    texts.forEach((t, i) => expect(maxAbsDiff(vectors[i]!, expected['tiny-bert'].embeddings[t]!)).toBeLessThan(1e-5));
    const [fresh, replayed] = seen as { embeddings: number[][]; dimensions: number; replayed: boolean }[];
    expect([fresh!.replayed, replayed!.replayed, fresh!.dimensions]).toEqual([false, true, 32]);
    expect(replayed!.embeddings).toEqual(fresh!.embeddings);
    const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
    expect(dot(vectors[0]!, vectors[1]!)).toBeGreaterThan(0.9); // cat ~ dog
    expect(dot(vectors[0]!, vectors[2]!)).toBeLessThan(0); // cat ~ pizza
    await runtime.close();
  });

  it('stops at the next token once the signal aborts, memoizes nothing, and the pipeline stays usable', async () => {
    const reason = new Error('stop here');
    const step = manualStep({ onProgress: (_u, s) => s.updates.length === 2 && s.controller.abort(reason) });
    await expect(tx.generate(step, { model: 'tiny-gpt2', prompt: 'la', maxNewTokens: 100 })).rejects.toBe(reason);
    expect(step.updates.map((u) => (u as { text: string }).text)).toEqual(['la', 'la la']);
    expect(step.memoEntries.size).toBe(0);
    const again = manualStep();
    expect((await tx.generate(again, { model: 'tiny-gpt2', prompt: 'la', maxNewTokens: 100 })).text).toBe(generation('la', 100).text);
  });

  it('a run cancelled mid-generation ends cancelled before the generation would have finished', async () => {
    let tokensSeen = 0;
    const { runtime } = await freshRuntime({
      workflows: { gen: async (step: Step) => Outcome.succeed((await tx.generate(step, { model: 'tiny-gpt2', prompt: 'la', maxNewTokens: 100 })).text) },
    });
    runtime.subscribe((e) => {
      if (e.type !== 'progress') return;
      tokensSeen = (e.update as { tokens: number }).tokens;
      if (tokensSeen === 1) void runtime.cancel(e.runId);
    });
    const { runId } = await runtime.submit({ workflow: 'gen', input: null });
    const outcome = await runtime.wait(runId);
    expect(outcome.status).toBe('cancelled');
    expect(tokensSeen).toBeGreaterThan(0);
    expect(tokensSeen).toBeLessThan(100);
    const history = await runtime.history(runId);
    expect(history.map((h) => h.outcome)).toEqual(['cancelled']);
    await runtime.close();
  });

  it('extends the lease while generating, and stops when an extension finds the claim lost', async () => {
    const long = createTransformers({ library: hf, localModelPath: MODELS_DIR, leaseMs: 600_000 });
    let expiresAt = 0;
    const { runtime } = await freshRuntime({
      leaseMs: 10_000,
      workflows: {
        gen: async (step: Step) => {
          const r = await long.generate(step, { model: 'tiny-gpt2', prompt: 'Hello' });
          expiresAt = step.lease.expiresAt;
          return Outcome.succeed(r.text);
        },
      },
    });
    const { runId } = await runtime.submit({ workflow: 'gen', input: null });
    expect((await runtime.wait(runId)).result).toBe(generation('Hello').text);
    expect(expiresAt).toBeGreaterThanOrEqual(T0 + 600_000);
    await runtime.close();

    const lost = manualStep({ leaseError: new WorkflowError('ClaimLost', 'gone') });
    const err = await long.generate(lost, { model: 'tiny-gpt2', prompt: 'la', maxNewTokens: 100 }).catch((e: unknown) => e);
    expect(isWorkflowError(err, 'ClaimLost')).toBe(true);
    expect(lost.updates.length).toBeLessThan(100);
    expect(lost.memoEntries.size).toBe(0);
  });

  it('serves concurrent steps one at a time from the shared pipeline, each with its exact output', async () => {
    await tx.preload('text-generation', 'tiny-gpt2');
    const order: string[] = [];
    const a = manualStep({ onProgress: () => order.push('a') });
    const b = manualStep({ onProgress: () => order.push('b') });
    const c = manualStep();
    const [ra, rb, rc] = await Promise.all([
      tx.generate(a, { model: 'tiny-gpt2', prompt: 'Hello' }),
      tx.generate(b, { model: 'tiny-gpt2', prompt: 'one two' }),
      tx.embed(c, { model: 'tiny-bert', texts: 'cat' }),
    ]);
    expect([ra.text, rb.text]).toEqual([generation('Hello').text, generation('one two').text]);
    expect(maxAbsDiff(rc.embeddings[0]!, expected['tiny-bert'].embeddings['cat']!)).toBeLessThan(1e-5);
    expect(order.join('')).toMatch(/^a+b+$|^b+a+$/);
  });

  it('runs on a real KV cache: cached steps feed one token and match a full recompute', async () => {
    const generator = (await hf.pipeline('text-generation', 'tiny-gpt2')) as unknown as {
      (text: string, o: object): Promise<unknown>;
      model: { sessions: Record<string, { run: (feeds: Record<string, { dims: number[] }>) => Promise<Record<string, { dims: number[]; data: Float32Array }>> }> };
    };
    const session = generator.model.sessions['model']!;
    const run = session.run.bind(session);
    const lengths: number[] = [];
    const logits: number[][] = [];
    session.run = async (feeds) => {
      lengths.push(feeds['input_ids']!.dims[1]!);
      const out = await run(feeds);
      const l = out['logits']!;
      const V = l.dims[2]!;
      logits.push(Array.from(l.data.slice(l.data.length - V)));
      return out;
    };
    try {
      await generator('the quick', { max_new_tokens: 16, do_sample: false });
    } finally {
      session.run = run;
    }
    const ref = expected['tiny-gpt2'].stepLogits.logits;
    expect(lengths).toEqual([2, ...ref.slice(1).map(() => 1)]);
    expect(Math.max(...logits.map((l, i) => maxAbsDiff(l, ref[i]!)))).toBeLessThan(1e-3);
  });

  it('refuses bad options and requests with InvalidArgument', async () => {
    const name = (f: () => unknown) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return (e as Error).name;
      }
    };
    expect(name(() => createTransformers({ library: {} as TransformersLibrary, localModelPath: MODELS_DIR }))).toBe('InvalidArgument');
    expect(name(() => createTransformers({ library: hf, localModelPath: '' }))).toBe('InvalidArgument');
    expect(name(() => createTransformers({ library: hf, localModelPath: '/elsewhere/' }))).toBe('InvalidArgument');
    expect(name(() => createTransformers({ library: hf, localModelPath: MODELS_DIR }))).toBe('ok');
    const step = manualStep();
    const bad = [{ model: '', prompt: 'x' }, { model: 'tiny-gpt2', prompt: 1 }, { model: 'tiny-gpt2', prompt: 'x', maxNewTokens: 0 }, { model: 'tiny-gpt2', prompt: 'x', options: { streamer: 1 } }];
    for (const r of bad) await expect(tx.generate(step, r as unknown as GenerateRequest)).rejects.toMatchObject({ name: 'InvalidArgument' });
    await expect(tx.embed(step, { model: 'tiny-bert', texts: [] })).rejects.toMatchObject({ name: 'InvalidArgument' });
    await expect(tx.generate(step, { model: 'no-such-model', prompt: 'x' })).rejects.toThrow();
  });
});
