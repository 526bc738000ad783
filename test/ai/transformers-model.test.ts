/**
 * `transformersModel`: the generated tiny model (@huggingface/transformers on onnxruntime-node)
 * as an AI SDK language model, through `ai` 7's own `generateText` / `streamText`, alone and
 * inside `durableModel` in real runs. The expected texts are the reference generations of
 * models/expected.json.
 */
import * as hf from '@huggingface/transformers';
import { generateText, streamText } from 'ai';
import { describe, expect, it } from 'vitest';
import { durableModel, transformersModel } from '../../src/ai.ts';
import { isWorkflowError } from '../../src/core/errors.ts';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import type { RunEvent } from '../../src/core/types.ts';
import type { TransformersLibrary } from '../../src/runners/transformers.ts';
import type { Step } from '../../src/runtime/types.ts';
import { fresh } from '../runtime/lifecycle.ts';
import { generation, MODELS_DIR } from '../runners/tiny-models.ts';

type Generator = (text: string, options: Record<string, unknown>) => Promise<unknown>;

interface CountingLibrary extends TransformersLibrary {
  /** The prompt of every generation the model ran. */
  generations: string[];
  /** Tokens the model generated, over all generations. */
  tokens: number;
  /** The latest generation, settled (its error swallowed). */
  last: Promise<unknown>;
  /** Called after each generated token with the count so far. */
  onToken?: (tokens: number) => void;
}

/**
 * The library with every generation counted: its pipelines are proxies that count their calls
 * and the tokens their streamer receives (the library's env is shared, so the configuration is
 * the same; the pipeline cache is per library object, so these pipelines are this library's own).
 */
function countingLibrary(): CountingLibrary {
  const lib: CountingLibrary = { env: hf.env, pipeline: undefined as never, generations: [], tokens: 0, last: Promise.resolve() };
  const pipeline = async (task: string, model: string, options: object) => {
    const p = (await (hf.pipeline as unknown as (t: string, m: string, o: object) => Promise<Generator>)(task, model, options)) as Generator;
    return new Proxy(p, {
      apply(target, thisArg, [text, opts]: Parameters<Generator>) {
        lib.generations.push(text);
        const streamer = opts['streamer'] as { put(v: unknown): void; end(): void };
        let prompt = true;
        const counted = {
          put(v: unknown) {
            if (prompt) prompt = false;
            else lib.onToken?.(++lib.tokens);
            streamer.put(v);
          },
          end: () => streamer.end(),
        };
        const run = Reflect.apply(target, thisArg, [text, { ...opts, streamer: counted }]) as Promise<unknown>;
        lib.last = run.catch(() => undefined);
        return run;
      },
    });
  };
  return Object.assign(lib, { pipeline });
}

const tiny = (library: TransformersLibrary = hf, extra: Partial<Parameters<typeof transformersModel>[0]> = {}) =>
  transformersModel({ library, localModelPath: MODELS_DIR, model: 'tiny-gpt2', ...extra });

/** The pieces `streamText` yields as the new text grows along the expected progress stream. */
function deltas(stream: string[]): string[] {
  return stream.map((text, i) => text.slice((stream[i - 1] ?? '').length));
}

describe('transformersModel (ai 7, @huggingface/transformers in Node)', () => {
  it('answers generateText with the exact generation and its finish reason', async () => {
    const g = generation('Hello');
    const r = await generateText({ model: tiny(), prompt: 'Hello', maxOutputTokens: 16, maxRetries: 0 });
    expect(r.text).toBe(g.text);
    expect(r.finishReason).toBe('stop');
    expect(r.usage.outputTokens).toBe(g.newIds.length);
    expect(r.usage.inputTokens).toBe(g.promptIds.length);

    const cut = await generateText({ model: tiny(), prompt: 'Hello', maxOutputTokens: 3, maxRetries: 0 });
    expect([cut.text, cut.finishReason]).toEqual([generation('Hello', 3).text, 'length']);
  });

  it('streams streamText token by token', async () => {
    const g = generation('the quick');
    const result = streamText({ model: tiny(), prompt: 'the quick', maxOutputTokens: 16, maxRetries: 0 });
    const pieces: string[] = [];
    for await (const piece of result.textStream) pieces.push(piece);
    expect(pieces).toEqual(deltas(g.stream));
    expect(await result.text).toBe(g.text);
    expect(await result.finishReason).toBe('stop');
  });

  it('ends at a stop sequence, cut before it', async () => {
    const r = await generateText({ model: tiny(), prompt: 'Hello', stopSequences: [' tiny'], maxRetries: 0 });
    expect([r.text, r.finishReason]).toEqual(['world from a', 'stop']);
  });

  it('renders the conversation through a chat template when given one', async () => {
    // This template keeps the system message alone: without it, the prompt would be 'ping\n\nHello'.
    const model = tiny(hf, { chatTemplate: "{% for m in messages %}{% if m.role == 'system' %}{{ m.content }}{% endif %}{% endfor %}" });
    const r = await generateText({ model, system: 'ping', prompt: 'Hello', maxRetries: 0 });
    expect(r.text).toBe(generation('ping').text);
  });

  it('stops generating at the next token once the abort signal fires, and the model answers the next call', async () => {
    const library = countingLibrary();
    const abort = new AbortController();
    const reason = new Error('stop here');
    library.onToken = (n) => n === 2 && abort.abort(reason);
    await expect(generateText({ model: tiny(library), prompt: 'la', maxOutputTokens: 100, maxRetries: 0, abortSignal: abort.signal })).rejects.toBe(reason);
    await library.last;
    expect(library.tokens).toBe(2);

    // A stream's reader that cancels ends the generation too.
    const streamed = await tiny(library).doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'la' }] }], maxOutputTokens: 100 });
    const reader = streamed.stream.getReader();
    const before = library.tokens;
    for (let deltas = 0; deltas < 2; ) if ((await reader.read()).value?.type === 'text-delta') deltas++;
    await reader.cancel(reason);
    await library.last;
    expect(library.tokens - before).toBeLessThan(5);

    library.onToken = undefined;
    expect((await generateText({ model: tiny(library), prompt: 'ping', maxRetries: 0 })).text).toBe('pong');
    expect(library.generations).toEqual(['la', 'la', 'ping']);
  });

  it('inside durableModel, a redelivered step replays the streamed answer from memo without running the model', async () => {
    const library = countingLibrary();
    const g = generation('Hello');
    const ask = async (step: Step) => {
      const model = durableModel(step, tiny(library), { progressIntervalMs: 0 });
      const result = streamText({ model, prompt: 'Hello', maxOutputTokens: 16, maxRetries: 0 });
      const text = await result.text;
      if (step.attempts === 1) throw StepError.transient('crashed after the model answered');
      return Outcome.succeed({ text });
    };
    const { runtime } = await fresh({ workflows: { ask } });
    const events: RunEvent[] = [];
    runtime.subscribe((e) => events.push(e));
    const { runId } = await runtime.submit({ workflow: 'ask', input: null });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: { text: g.text } });
    expect(library.generations).toEqual(['Hello']);
    expect((await runtime.history(runId)).map((h) => [h.attempt, h.outcome, h.memoHits])).toEqual([
      [1, 'retried', 0],
      [2, 'succeeded', 1],
    ]);
    const texts = events.flatMap((e) => (e.type === 'progress' && e.runId === runId ? [(e.update as { text: string }).text] : []));
    expect(texts).toContain(g.stream[0]);
    expect(texts.at(-1)).toBe(g.text);
  });

  it('refuses a bad option at once, naming it', () => {
    const bad = (o: object) => {
      try {
        transformersModel({ library: hf, localModelPath: MODELS_DIR, model: 'tiny-gpt2', ...o });
      } catch (e) {
        return isWorkflowError(e, 'InvalidArgument') ? (e as Error).message : `unexpected ${String(e)}`;
      }
      return 'accepted';
    };
    expect(bad({ model: '' })).toMatch(/^model /);
    expect(bad({ maxOutputTokens: 0 })).toMatch(/^maxOutputTokens /);
    expect(bad({ chatTemplate: 3 })).toMatch(/^chatTemplate /);
    expect(bad({ library: {} })).toMatch(/^library /);
  });
});
