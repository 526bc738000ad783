/**
 * `stepwise/runners/llm`: fetch-based, OpenAI-compatible chat completions inside a step.
 *
 *   const llm = createLlm({ baseURL: 'https://api.openai.com/v1', apiKey, model: 'gpt-4o-mini' });
 *   async function ask(step: Step) {
 *     const res = await llm.chat(step, { messages: [{ role: 'user', content: 'Hi' }], stream: true });
 *     return Outcome.succeed(res.content);
 *   }
 *
 * Memoized per step and request content (a redelivered step does not pay twice), streamed
 * tokens to `step.progress` (checkpointed, so a reloaded page shows them), lease extended while
 * tokens arrive, aborted by `step.signal`, 429/5xx retried after Retry-After, other 4xx
 * permanent, and an offline device waits for `online` without spending attempts. The API key
 * lives in worker memory only: never in IndexedDB, memo, progress, headers or error messages.
 */
export { createLlm, type Llm } from './llm/client.ts';
export type { ChatOptions } from './llm/chat.ts';
export type { LlmOptions } from './llm/config.ts';
export { browserNetwork, eventTargetNetwork, manualNetwork, type NetworkStatus, type OnlineSource } from './llm/network.ts';
export type { AssistantMessage, ChatChoice, ChatMessage, ChatRequest, ChatResult, ToolCall, Usage } from './llm/types.ts';
export type { TokenProgress } from './token-progress.ts';
