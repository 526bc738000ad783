/**
 * Reads a streamed chat completion: server-sent events parsed by `eventsource-parser` (the
 * framing, line endings, comments and split chunks are its job), each `data:` payload a JSON
 * `chat.completion.chunk`, the stream closed by `data: [DONE]`.
 *
 * An answer is complete only at `[DONE]`, or at the end of the body after a `finish_reason`
 * (some compatible servers omit `[DONE]`). A body that ends before either was cut off (a
 * dropped connection, a proxy timeout): that is a transient failure, and the partial text is
 * not an answer. An `error` object sent inside the stream (OpenAI does this when generation
 * fails midway; OpenRouter with an HTTP-like code) fails the attempt, transient or permanent
 * by its code (errors.ts `streamError`).
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { StepError } from '../../core/outcome.ts';
import { CompletionBuilder, type Completion, type PartialAnswer } from './completion.ts';
import { streamError } from './errors.ts';
import type { Redactor } from './redactor.ts';

export interface StreamHooks {
  /** After each chunk that was applied, with the first choice's answer so far. */
  onChunk(answer: PartialAnswer): void;
}

/**
 * Consumes the body to the end of the answer.
 * @throws StepError (transient) when the stream breaks off, is malformed or reports an error;
 *   whatever the body reader throws (a network failure, the request's abort) as it is
 */
export async function readCompletionStream(body: ReadableStream<Uint8Array>, hooks: StreamHooks, redactor: Redactor): Promise<Completion> {
  const builder = new CompletionBuilder();
  let done = false;
  let failure: StepError | undefined;
  const onEvent = (ev: EventSourceMessage) => {
    if (done || failure) return;
    if (ev.data === '[DONE]') {
      done = true;
      return;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(ev.data);
    } catch {
      failure = StepError.transient('LLM API sent a malformed stream: an event is not JSON');
      return;
    }
    if (ev.event === 'error' || (typeof chunk === 'object' && chunk !== null && isPresent((chunk as { error?: unknown }).error))) {
      failure = streamError(ev.data, redactor);
      return;
    }
    try {
      builder.add(chunk);
    } catch (e) {
      failure = StepError.from(e);
      return;
    }
    hooks.onChunk(builder.partial);
  };
  const parser = createParser({ onEvent });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    while (!done && !failure) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    // Stop reading at [DONE] or on a failure: anything after it is not part of the answer.
    if (done || failure) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  if (failure) throw failure;
  if (!done && !builder.finished) {
    throw StepError.transient(`LLM API stream ended before the answer was complete (${builder.partial.text.length} characters received)`);
  }
  return builder.build();
}

function isPresent(v: unknown): boolean {
  return v !== undefined && v !== null;
}
