/**
 * `durableModel(step, model, options?)`: the model, wrapped so that every call it makes inside
 * `step` is durable (see middleware.ts). Use the result wherever the SDK takes a model
 * (`generateText`, `streamText`, `Agent`, …), inside the step only: it is bound to that
 * delivery's memo, signal, lease and progress.
 *
 * The wrapping applies `durableMiddleware` exactly as the SDK's `wrapLanguageModel` applies a
 * middleware, but keeps the model's specification version: a `LanguageModelV3` (`ai` 6
 * providers) stays V3 and a `LanguageModelV4` (`ai` 7) stays V4, so the result works with
 * whichever `ai` the app uses (`ai` 7 accepts V3 models too), and this module needs no
 * runtime import of `ai`. `wrapLanguageModel({ model, middleware: durableMiddleware(step) })`
 * with the app's own `ai` is equivalent.
 */
import type { LanguageModelV3, LanguageModelV3Middleware, LanguageModelV4, LanguageModelV4Middleware } from '@ai-sdk/provider';
import type { Step } from '../runtime/types.ts';
import { StepError } from '../core/outcome.ts';
import { durableMiddlewareCore } from './middleware.ts';
import type { DurableModelOptions } from './options.ts';
import type { CallParams, ModelLike } from './types.ts';

/**
 * The durable middleware for `step`, for the SDK's `wrapLanguageModel`. Pass
 * `specificationVersion: 'v3'` for the type `ai` 6 expects (the object is the same).
 * @throws StepError (permanent) on a bad option
 */
export function durableMiddleware(step: Step, options: DurableModelOptions & { specificationVersion: 'v3' }): LanguageModelV3Middleware;
export function durableMiddleware(step: Step, options?: DurableModelOptions & { specificationVersion?: 'v4' }): LanguageModelV4Middleware;
export function durableMiddleware(step: Step, options: DurableModelOptions & { specificationVersion?: 'v3' | 'v4' } = {}): LanguageModelV3Middleware | LanguageModelV4Middleware {
  const { specificationVersion = 'v4', ...rest } = options;
  const core = durableMiddlewareCore(step, rest);
  return { specificationVersion, ...core } as unknown as LanguageModelV4Middleware;
}

/**
 * `model`, durable inside `step`: memoized per call, streamed to `step.progress`, aborted by
 * `step.signal`, lease extended while it answers, failures as `StepError`s.
 * @throws StepError (permanent) when `model` is not an AI SDK language model (V3 or V4), or on a bad option
 */
export function durableModel<M extends LanguageModelV3 | LanguageModelV4>(step: Step, model: M, options?: DurableModelOptions): M {
  const inner = model as unknown as ModelLike;
  if (typeof inner !== 'object' || inner === null || typeof inner.doGenerate !== 'function' || typeof inner.doStream !== 'function') {
    throw StepError.permanent('durableModel needs an AI SDK language model (an object with doGenerate and doStream), e.g. provider.chatModel(id)');
  }
  if (inner.specificationVersion !== 'v3' && inner.specificationVersion !== 'v4') {
    throw StepError.permanent(`durableModel supports AI SDK language models of specification v3 (ai 6) and v4 (ai 7), got ${String(inner.specificationVersion)}`);
  }
  const core = durableMiddlewareCore(step, options);
  const wrapped: ModelLike = {
    specificationVersion: inner.specificationVersion,
    provider: inner.provider,
    modelId: inner.modelId,
    get supportedUrls() {
      return inner.supportedUrls;
    },
    doGenerate: (params: CallParams) =>
      core.wrapGenerate({ params, model: inner, doGenerate: () => inner.doGenerate(params), doStream: () => inner.doStream(params) }),
    doStream: (params: CallParams) => core.wrapStream({ params, model: inner, doGenerate: () => inner.doGenerate(params), doStream: () => inner.doStream(params) }),
  };
  return wrapped as unknown as M;
}
