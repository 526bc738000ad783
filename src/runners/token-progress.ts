/**
 * What `step.progress` receives while a model answers, from every runner that streams tokens
 * (`stepwise/runners/llm`, `stepwise/runners/transformers`, `stepwise/ai`): one shape, so a page
 * renders any of them the same way. Updates are cumulative (each carries everything so far) and
 * the last one of a finished answer has `done: true`.
 */
export type TokenProgress = {
  kind: 'tokens';
  /** The answer's text so far (an API's first choice). */
  text: string;
  /** The first choice's reasoning so far; absent while there is none (fetch-based APIs). */
  reasoning?: string;
  /** The first choice's refusal so far; absent while there is none (fetch-based APIs). */
  refusal?: string;
  /**
   * Tool calls so far, each with its arguments as the partial JSON text received; absent while
   * there are none. Sent by `stepwise/ai` streams.
   */
  toolCalls?: { id: string; name: string; input: string }[];
  /** Tokens generated so far (in-browser models: `stepwise/runners/transformers`). */
  tokens?: number;
  /** The model generating (in-browser models: `stepwise/runners/transformers`). */
  model?: string;
  /** True on the last update of a finished answer. */
  done?: boolean;
};
