/**
 * `createLlm`: an OpenAI-compatible chat-completions client for use inside steps. Create it
 * once per worker (module scope of the worker entry) with its configuration; the API key stays
 * in this closure, in worker memory, and is never stored (DESIGN principle 6).
 */
import type { Step } from '../../runtime/types.ts';
import { chat, type ChatOptions } from './chat.ts';
import { resolveConfig, type LlmOptions } from './config.ts';
import type { ChatRequest, ChatResult } from './types.ts';

export interface Llm {
  /**
   * Sends one chat-completions request for this step and resolves with the assistant's
   * answer, or with the answer an earlier delivery of the step recorded for the same request
   * (`replayed: true`, no HTTP request).
   * @throws StepError transient (429, 408, 5xx with the server's Retry-After; a network failure
   *   while online; a cut-off or malformed stream; the timeout) or permanent (any other 4xx, with
   *   the server's message; a request that is not JSON); the reason of `step.signal` when it aborts
   */
  chat(step: Step, request: ChatRequest, options?: ChatOptions): Promise<ChatResult>;
}

/** @throws WorkflowError `InvalidArgument` for a bad option (e.g. a baseURL that is not http(s)) */
export function createLlm(options: LlmOptions): Llm {
  const cfg = resolveConfig(options);
  return Object.freeze({
    chat: (step: Step, request: ChatRequest, chatOptions?: ChatOptions) => chat(cfg, step, request, chatOptions),
  });
}
