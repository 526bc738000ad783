/**
 * `durableMiddleware(step, options)`: an AI SDK language-model middleware (`wrapGenerate` /
 * `wrapStream`) that makes every model call durable inside `step`:
 *
 * - Memoized: each `doGenerate` / `doStream` answer is recorded in `step.memo` under the key
 *   key.ts describes, once it is complete and before the caller sees its end. A redelivered
 *   step gets the recorded answer (a stream replays its recorded parts) and sends no request.
 *   Only the answer is recorded: the request body, the response headers and the raw response
 *   body are left out.
 * - Live: stream parts pass through to the caller as they arrive, and the text, reasoning and
 *   tool-call input so far go to `step.progress` as `TokenProgress` updates (batched, the last
 *   one `done`), the same shape the LLM runner sends, so a reloaded page shows the partial
 *   answer from the run's checkpointed progress.
 * - Abortable and leased: see guard.ts. Failures become `StepError`s: see errors.ts.
 */
import type { Json } from '../core/json.ts';
import type { Step } from '../runtime/types.ts';
import { ProgressBatcher } from '../runners/llm/progress.ts';
import { decodeJson, encodeJson } from './codec.ts';
import { CallGuard } from './guard.ts';
import { callKey } from './key.ts';
import { resolveOptions, type DurableModelOptions, type ResolvedOptions } from './options.ts';
import { replayStream, StreamRecorder, type StreamPart } from './stream-record.ts';
import type { CallParams, GenerateResult, ModelLike, StreamResult } from './types.ts';

/** What the middleware functions receive, in either specification version. */
interface WrapArgs {
  doGenerate: () => PromiseLike<GenerateResult>;
  doStream: () => PromiseLike<StreamResult>;
  params: CallParams;
  model: ModelLike;
}

export interface DurableMiddlewareCore {
  wrapGenerate(args: WrapArgs): Promise<GenerateResult>;
  wrapStream(args: WrapArgs): Promise<StreamResult>;
}

/** The version-independent middleware; `durableMiddleware` types it for one version. */
export function durableMiddlewareCore(step: Step, options?: DurableModelOptions): DurableMiddlewareCore {
  const o = resolveOptions(options);
  return {
    wrapGenerate: ({ params, model }) => generate(step, o, params, model),
    wrapStream: ({ params, model }) => stream(step, o, params, model),
  };
}

function identity(type: 'generate' | 'stream', o: ResolvedOptions, params: CallParams, model: ModelLike) {
  return { type, provider: model.provider, modelId: model.modelId, memoKey: o.memoKey, params };
}

/** A redactor that also knows this call's header values (a per-request key). */
function redactorFor(o: ResolvedOptions, params: CallParams) {
  let r = o.redactor;
  for (const v of Object.values(params.headers ?? {})) if (typeof v === 'string') r = r.with(v.replace(/^bearer\s+/i, ''));
  return r;
}

async function generate(step: Step, o: ResolvedOptions, params: CallParams, model: ModelLike): Promise<GenerateResult> {
  const key = await callKey(identity('generate', o, params, model));
  const recorded = await step.memo.get(key);
  if (isRecord(recorded, 'generate')) return decodeJson(recorded['result'] as Json) as GenerateResult;
  const guard = new CallGuard(step, params.abortSignal, o.leaseMs, o.clock, redactorFor(o, params));
  let result: GenerateResult;
  try {
    result = await model.doGenerate({ ...params, abortSignal: guard.signal });
  } catch (e) {
    throw guard.error(e);
  } finally {
    guard.done();
  }
  await record(step, key, { kind: 'generate', result: encodeJson(answerOf(result)) });
  return result;
}

async function stream(step: Step, o: ResolvedOptions, params: CallParams, model: ModelLike): Promise<StreamResult> {
  const key = await callKey(identity('stream', o, params, model));
  const recorded = await step.memo.get(key);
  if (isRecord(recorded, 'stream')) {
    const parts = decodeJson(recorded['parts'] as Json) as StreamPart[];
    const shown = new StreamRecorder();
    for (const p of parts) shown.add(p);
    new ProgressBatcher(step, 0, o.clock).finish(shown.partial);
    return { stream: replayStream(parts) };
  }
  const guard = new CallGuard(step, params.abortSignal, o.leaseMs, o.clock, redactorFor(o, params));
  let result: StreamResult;
  try {
    result = await model.doStream({ ...params, abortSignal: guard.signal });
  } catch (e) {
    guard.done();
    throw guard.error(e);
  }
  const reader = (result.stream as ReadableStream<StreamPart>).getReader();
  const recorder = new StreamRecorder();
  const progress = new ProgressBatcher(step, o.progressIntervalMs, o.clock);
  const out = new ReadableStream<StreamPart>({
    async pull(controller) {
      let next: ReadableStreamReadResult<StreamPart>;
      try {
        next = await reader.read();
      } catch (e) {
        progress.stop();
        guard.done();
        controller.error(guard.error(e));
        return;
      }
      if (next.done) {
        guard.done();
        if (recorder.complete) {
          progress.finish(recorder.partial);
          // Recorded before the caller sees the end: once the SDK call returns, a crash cannot cost a second request.
          await record(step, key, { kind: 'stream', parts: encodeJson(recorder.parts) });
        } else progress.stop();
        controller.close();
        return;
      }
      guard.touch();
      if (recorder.add(next.value)) progress.update(recorder.partial);
      controller.enqueue(next.value);
    },
    async cancel(reason) {
      progress.stop();
      guard.abort(reason);
      await reader.cancel(reason).catch(() => undefined);
    },
  });
  return { ...result, stream: out };
}

/** The answer without what only describes the exchange (request body, headers, raw body). */
function answerOf(result: GenerateResult): GenerateResult {
  const { request: _request, response, ...answer } = result;
  if (response === undefined) return answer;
  const { headers: _headers, body: _body, ...meta } = response;
  return { ...answer, response: meta };
}

function isRecord(v: Json | undefined, kind: string): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v['kind'] === kind;
}

/**
 * Writes the record. The answer is paid for: a failed write (a full disk, a lost claim) does
 * not take it from the caller; a redelivery would ask again, and the settlement of a delivery
 * that lost its claim fails anyway.
 */
async function record(step: Step, key: string, value: Json): Promise<void> {
  await step.memo.put(key, value).catch(() => undefined);
}
