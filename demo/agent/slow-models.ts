/**
 * Demo pacing: the built-in tiny models answer in about a millisecond per token, too fast to
 * watch, to reload in the middle of, or to cancel. `slowModels` hands the transformers runner a
 * library whose pipelines are slower, as a big model on a small device would be: the text
 * generator hands out each token `msPerToken` after the previous one, and the embedder takes
 * `msPerEmbedding` more per call.
 *
 * Each pipeline is wrapped from the outside (a function that calls it): the model and its
 * objects are left as the library made them. The runner sees a slow model and nothing else:
 * it streams the tokens as they come, checks for a cancel between them, keeps the lease, and
 * memoizes the answer only once it is complete, so a reload mid-answer asks again.
 */
import type { TransformersLibrary } from 'stepwise/runners/transformers';

type Task = 'text-generation' | 'feature-extraction';

/** What is used of transformers.js: its `env`, and `pipeline(task, model, options)`. */
export interface PipelineLibrary {
  readonly env: object;
  pipeline(task: Task, model: string, options: object): Promise<unknown>;
}

type Callable = (...args: unknown[]) => Promise<unknown>;

/** 3.x+ streams tokens to a `streamer`: `put(ids)` with the prompt's ids first, then once per token. */
interface Streamer {
  put(value: unknown): void;
  end(): void;
}

export function slowModels(library: PipelineLibrary, pace: { msPerToken: number; msPerEmbedding: number }): TransformersLibrary {
  return {
    env: library.env,
    async pipeline(task: Task, model: string, options: object) {
      const loaded = await library.pipeline(task, model, options);
      if (!isCallable(loaded)) return loaded;
      return task === 'text-generation' ? slowGenerator(loaded, pace.msPerToken) : slowEmbedder(loaded, pace.msPerEmbedding);
    },
  };
}

/**
 * A text-generation pipeline whose tokens reach the caller's streamer one every `ms`. The model
 * generates at its own speed into a buffer; the buffer is then handed on at the pace. A throw
 * from the caller's streamer (its cancel) ends the call, as it would end a real generation.
 */
function slowGenerator(generate: Callable, ms: number): Callable & { tokenizer: unknown } {
  const slow = async (text: unknown, options: unknown = {}): Promise<unknown> => {
    const streamer = isRecord(options) ? options['streamer'] : undefined;
    if (!isRecord(options) || !isStreamer(streamer)) return generate(text, options);
    const buffered: unknown[] = [];
    const output = await generate(text, { ...options, streamer: { put: (ids: unknown) => void buffered.push(ids), end: () => undefined } });
    for (const [i, ids] of buffered.entries()) {
      if (i > 0) await sleep(ms); // the first put is the prompt, not a new token
      streamer.put(ids);
    }
    streamer.end();
    return output;
  };
  return Object.assign(slow, { tokenizer: 'tokenizer' in generate ? generate.tokenizer : undefined });
}

/** A feature-extraction pipeline that takes `ms` longer per call. */
function slowEmbedder(embed: Callable, ms: number): Callable {
  return async (...args: unknown[]) => {
    const output = await embed(...args);
    await sleep(ms);
    return output;
  };
}

function isCallable(value: unknown): value is Callable {
  return typeof value === 'function';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isStreamer(value: unknown): value is Streamer {
  return isRecord(value) && typeof value['put'] === 'function' && typeof value['end'] === 'function';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
