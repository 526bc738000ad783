/**
 * One pipeline per (library, task, model, options) per worker: loaded on first use, then
 * shared by every step and run this worker executes (a model load is the expensive part:
 * fetching and compiling the weights). Concurrent first uses share one load; a failed load is
 * forgotten, so the next attempt of the step loads again.
 *
 * The cache is module state on purpose: pipelines belong to the worker, not to one adapter or
 * one runtime (two `createTransformers` with the same library share them).
 */
import type { LeaseKeeper } from '../lease-keeper.ts';
import { untilAborted } from './abort.ts';
import type { TransformersLibrary } from './library.ts';

export type Task = 'text-generation' | 'feature-extraction';

/** The parts of a text-generation pipeline the adapter calls (same shape in 2.x and 3.x+). */
export interface TextGenerationPipeline {
  (text: string, options: Record<string, unknown>): Promise<unknown>;
  tokenizer: { decode(ids: number[], options: { skip_special_tokens: boolean }): string };
  model?: { forward?: (...args: unknown[]) => Promise<unknown> };
}

/** The parts of a feature-extraction pipeline the adapter calls. */
export interface FeatureExtractionPipeline {
  (texts: string[], options: Record<string, unknown>): Promise<{ dims: number[]; tolist(): unknown }>;
}

interface PipelineOf {
  'text-generation': TextGenerationPipeline;
  'feature-extraction': FeatureExtractionPipeline;
}

type PipelineFn = (task: string, model: string, options: Record<string, unknown>) => Promise<unknown>;

const loaded = new WeakMap<TransformersLibrary, Map<string, Promise<unknown>>>();

/** The worker's pipeline for this task and model, loading it on first use. */
export function loadPipeline<T extends Task>(
  library: TransformersLibrary,
  task: T,
  model: string,
  options: Record<string, unknown>,
  prepare?: (pipeline: PipelineOf[T]) => void,
): Promise<PipelineOf[T]> {
  let cache = loaded.get(library);
  if (!cache) loaded.set(library, (cache = new Map()));
  const key = JSON.stringify([task, model, options], (_k, v: unknown) => (typeof v === 'function' ? undefined : v));
  let p = cache.get(key);
  if (!p) {
    const load = (async () => {
      const pipeline = (await (library.pipeline as unknown as PipelineFn)(task, model, { ...options })) as PipelineOf[T];
      prepare?.(pipeline);
      return pipeline;
    })();
    cache.set(key, load);
    load.catch(() => {
      if (cache.get(key) === load) cache.delete(key);
    });
    p = load;
  }
  return p as Promise<PipelineOf[T]>;
}

const locks = new WeakMap<object, Promise<void>>();

/**
 * Waits until no other step uses `pipeline`, then resolves with the function that lets the next
 * one in. Steps take a pipeline one at a time: a shared pipeline is not re-entrant in every
 * library version (2.x has no run queue of its own), and in a browser one wasm thread runs
 * them anyway.
 */
export function acquire(pipeline: object): Promise<() => void> {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  const before = locks.get(pipeline) ?? Promise.resolve();
  locks.set(pipeline, before.then(() => done));
  return before.then(() => release);
}

/**
 * Takes `pipeline` for one step (see `acquire`), extending the step's lease while it waits; stops
 * waiting when `signal` aborts (the turn, once it comes, is passed on at once).
 * @returns the function that lets the next step in
 */
export async function takePipeline(pipeline: object, lease: LeaseKeeper, signal: AbortSignal): Promise<() => void> {
  const turn = acquire(pipeline);
  try {
    return await untilAborted(lease.during(turn), signal);
  } catch (e) {
    void turn.then((release) => release());
    throw e;
  }
}
