/**
 * How a failed model call becomes a `StepError`, the only thing the runtime needs to know.
 * The AI SDK reports an HTTP failure as an `APICallError` (recognised by its `name`, so any
 * SDK version's class is): `isRetryable` (408, 409, 429, 5xx by the SDK's rule) makes it
 * transient, retried after the server's `retry-after-ms` / `Retry-After` when it sent one;
 * anything else it says is permanent (a bad key, an unknown model, a rejected request: asking
 * again would be refused the same way). A failure without a status (the network, a broken
 * stream) is transient.
 *
 * Every message passes through the call's `Redactor` (the options' secrets and the request's
 * header values), then is cut: it is stored as the step's error.
 */
import { StepError, isStepError } from '../core/outcome.ts';
import { parseRetryAfter } from '../core/retry-after.ts';
import type { Redactor } from '../runners/llm/redactor.ts';

/** Stored messages are cut to this many characters, after redaction. */
const MAX_MESSAGE = 500;

type ApiCallErrorLike = Error & { statusCode?: number; isRetryable?: boolean; responseHeaders?: Record<string, string> };

function isApiCallError(e: unknown): e is ApiCallErrorLike {
  return e instanceof Error && e.name === 'AI_APICallError';
}

/** The step error for what a model call threw. A `StepError` passes through, its message redacted. */
export function modelError(e: unknown, redactor: Redactor, now: number): StepError {
  if (isStepError(e)) return new StepError(e.kind, redactor.bounded(e.message, MAX_MESSAGE), retryAfterOf(e));
  if (isApiCallError(e)) {
    const status = e.statusCode !== undefined ? ` (HTTP ${e.statusCode})` : '';
    const message = redactor.bounded(`model call failed${status}: ${e.message}`, MAX_MESSAGE);
    if (e.isRetryable !== true) return StepError.permanent(message);
    const retryAfterMs = retryAfter(e.responseHeaders, now);
    return StepError.transient(message, retryAfterMs !== undefined ? { retryAfterMs } : {});
  }
  const se = StepError.from(e);
  return new StepError(se.kind, redactor.bounded(`model call failed: ${describe(e)}`, MAX_MESSAGE));
}

function retryAfterOf(e: StepError): { retryAfterMs?: number } {
  return e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {};
}

/** The server's advised delay: `retry-after-ms` (OpenAI), else `Retry-After` (seconds or a date). */
function retryAfter(headers: Record<string, string> | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1] ?? null;
  const ms = get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  return parseRetryAfter(get('retry-after'), now);
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : '';
  return inner && !e.message.includes(inner) ? `${e.message} (${inner})` : e.message || e.name;
}
