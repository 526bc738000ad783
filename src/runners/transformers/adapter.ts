/**
 * `createTransformers`: the step helpers over one transformers.js library. Create it once per
 * worker (module scope of the worker entry); it configures the library for offline use at once,
 * so a wrong path or a missing `wasmPaths` fails at worker start, not in the first step.
 */
import { systemClock } from '../../core/clock.ts';
import { invalidArgument } from '../../core/errors.ts';
import type { Step } from '../../runtime/types.ts';
import { embed, extractorFor } from './embed.ts';
import { generate, pipelineFor } from './generate.ts';
import { configureLibrary, inspectLibrary } from './library.ts';
import type { Adapter, EmbedRequest, GenerateRequest, Transformers, TransformersOptions } from './types.ts';

const DEFAULT_LEASE_MS = 60_000;

/**
 * @throws WorkflowError `InvalidArgument` for a bad option: not a transformers.js module, an empty
 *   or cross-origin `localModelPath`, no `wasmPaths` outside Node, or a library this worker
 *   already configured with other settings
 */
export function createTransformers(options: TransformersOptions): Transformers {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be an object', options);
  const info = inspectLibrary(options.library);
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  if (!(typeof leaseMs === 'number' && Number.isFinite(leaseMs) && leaseMs >= 0)) throw invalidArgument('leaseMs', 'must be a finite number >= 0', leaseMs);
  const pipelineOptions = options.pipelineOptions ?? {};
  if (typeof pipelineOptions !== 'object' || pipelineOptions === null) throw invalidArgument('pipelineOptions', 'must be an object', pipelineOptions);
  configureLibrary(options.library, {
    localModelPath: options.localModelPath,
    ...(options.wasmPaths !== undefined ? { wasmPaths: options.wasmPaths } : {}),
    ...(options.useBrowserCache !== undefined ? { useBrowserCache: options.useBrowserCache } : {}),
  });
  const a: Adapter = {
    library: options.library,
    streaming: info.streaming,
    pipelineOptions: { ...pipelineOptions },
    clock: options.clock ?? systemClock,
    leaseMs,
  };
  return Object.freeze({
    version: info.version,
    generate: (step: Step, request: GenerateRequest) => generate(a, step, request),
    embed: (step: Step, request: EmbedRequest) => embed(a, step, request),
    preload: async (task: 'text-generation' | 'feature-extraction', model: string) => {
      if (typeof model !== 'string' || model.length === 0) throw invalidArgument('model', 'must be a non-empty string', model);
      if (task === 'text-generation') await pipelineFor(a, model);
      else if (task === 'feature-extraction') await extractorFor(a, model);
      else throw invalidArgument('task', "must be 'text-generation' or 'feature-extraction'", task);
    },
  });
}
