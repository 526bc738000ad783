/**
 * The parts of an AI SDK language model this module touches, in a form both specification
 * versions (`LanguageModelV3`, `ai` 6, and `LanguageModelV4`, `ai` 7) satisfy. The public
 * functions are typed with the SDK's own types; these are for the version-independent core.
 */
export type CallParams = { abortSignal?: AbortSignal; headers?: Record<string, string | undefined>; [option: string]: unknown };

export type GenerateResult = {
  content: unknown[];
  request?: { body?: unknown; [field: string]: unknown };
  response?: { headers?: unknown; body?: unknown; [field: string]: unknown };
  [field: string]: unknown;
};

export type StreamResult = {
  stream: ReadableStream<unknown>;
  [field: string]: unknown;
};

export interface ModelLike {
  readonly specificationVersion: string;
  readonly provider: string;
  readonly modelId: string;
  readonly supportedUrls: unknown;
  doGenerate(params: CallParams): PromiseLike<GenerateResult>;
  doStream(params: CallParams): PromiseLike<StreamResult>;
}
