/**
 * `embed`: feature extraction inside a step, memoized. One forward pass for the whole batch; it
 * cannot be interrupted, so `step.signal` is checked before it and after it (an aborted step
 * memoizes nothing), and the lease is extended while the model loads, while the step waits for
 * the pipeline, and while the pass runs.
 */
import { invalidArgument } from '../../core/errors.ts';
import type { Json } from '../../core/json.ts';
import type { Step } from '../../runtime/types.ts';
import { LeaseKeeper } from '../lease-keeper.ts';
import { untilAborted } from './abort.ts';
import { loadPipeline, takePipeline, type FeatureExtractionPipeline } from './pipelines.ts';
import type { Adapter, EmbedRequest, EmbedResult } from './types.ts';

type Recorded = { embeddings: number[][]; dimensions: number };

export async function embed(a: Adapter, step: Step, request: EmbedRequest): Promise<EmbedResult> {
  const req = checkRequest(request);
  step.signal.throwIfAborted();
  const key: Json = { runner: 'stepwise/transformers', task: 'feature-extraction', model: req.model, texts: req.texts, pooling: req.pooling, normalize: req.normalize };
  if (req.memo) {
    const hit: unknown = await step.memo.contentGet(key);
    if (isRecorded(hit)) return { embeddings: hit.embeddings, dimensions: hit.dimensions, replayed: true };
  }
  const lease = new LeaseKeeper(step.lease, a.leaseMs, a.clock);
  const extractor = await untilAborted(lease.during(extractorFor(a, req.model)), step.signal);
  const release = await takePipeline(extractor, lease, step.signal);
  let output: Awaited<ReturnType<typeof extractor>>;
  try {
    step.signal.throwIfAborted();
    // One forward pass: not interruptible, and the pipeline stays taken until it is over.
    output = await lease.during(extractor(req.texts, { pooling: req.pooling, normalize: req.normalize }));
  } finally {
    release();
    await lease.settled();
  }
  step.signal.throwIfAborted();
  if (lease.lost !== undefined) throw lease.lost;

  const embeddings = output.tolist() as number[][];
  const recorded: Recorded = { embeddings, dimensions: output.dims.at(-1) ?? 0 };
  if (req.memo) await step.memo.contentPut(key, recorded);
  return { ...recorded, replayed: false };
}

/** A memo entry this runner wrote (anything else, e.g. no entry, is a miss). */
function isRecorded(v: unknown): v is Recorded {
  const r = v as Partial<Recorded> | null | undefined;
  return Array.isArray(r?.embeddings) && typeof r.dimensions === 'number';
}

export function extractorFor(a: Adapter, model: string): Promise<FeatureExtractionPipeline> {
  return loadPipeline(a.library, 'feature-extraction', model, a.pipelineOptions);
}

interface CheckedRequest {
  model: string;
  texts: string[];
  pooling: 'mean' | 'cls';
  normalize: boolean;
  memo: boolean;
}

/** @throws WorkflowError `InvalidArgument` naming the bad field */
function checkRequest(r: EmbedRequest): CheckedRequest {
  if (typeof r !== 'object' || r === null) throw invalidArgument('request', 'must be an object', r);
  if (typeof r.model !== 'string' || r.model.length === 0) throw invalidArgument('model', 'must be a non-empty string', r.model);
  const texts = typeof r.texts === 'string' ? [r.texts] : r.texts;
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === 'string')) {
    throw invalidArgument('texts', 'must be a string or a non-empty array of strings', r.texts);
  }
  const pooling = r.pooling ?? 'mean';
  if (pooling !== 'mean' && pooling !== 'cls') throw invalidArgument('pooling', "must be 'mean' or 'cls'", pooling);
  if (r.normalize !== undefined && typeof r.normalize !== 'boolean') throw invalidArgument('normalize', 'must be a boolean', r.normalize);
  if (r.memo !== undefined && typeof r.memo !== 'boolean') throw invalidArgument('memo', 'must be a boolean', r.memo);
  return { model: r.model, texts: [...texts], pooling, normalize: r.normalize ?? true, memo: r.memo ?? true };
}
