/**
 * How an LLM API failure becomes a `StepError`, the only thing the runtime needs to know:
 * - 429, 408 and 5xx: transient, retried after the server's `Retry-After` (or `retry-after-ms`,
 *   which OpenAI also sends) when it gave one, else after the runtime's backoff. 408 (request
 *   timeout) is retried like a 5xx: the server says it never processed the request.
 * - any other 4xx (bad request, bad key, unknown model, …): permanent, with the server's own
 *   message, so the run fails with a reason a person can act on.
 * - a network failure or a broken stream: transient (unless offline: see chat.ts).
 * Every message passes through the client's `Redactor` first: it is stored as the step's error.
 */
import { StepError } from '../../core/outcome.ts';
import { parseRetryAfter } from '../../core/retry-after.ts';
import type { Redactor } from './config.ts';

/** Server messages are cut to this many characters (an HTML error page is not a message). */
const MAX_MESSAGE = 500;

/** Reads the failed response's body and maps it. */
export async function httpError(res: Response, redactor: Redactor): Promise<StepError> {
  const text = await res.text().catch(() => '');
  const detail = serverMessage(text);
  const message = redactor.redact(`LLM API answered HTTP ${res.status}${detail ? `: ${detail}` : ''}`);
  if (res.status === 408 || res.status === 429 || res.status >= 500) {
    const retryAfterMs = retryAfter(res.headers);
    return StepError.transient(message, retryAfterMs !== undefined ? { retryAfterMs } : {});
  }
  return StepError.permanent(message);
}

/** The server's advised delay: `retry-after-ms` (OpenAI), else `Retry-After` (seconds or a date). */
export function retryAfter(headers: Headers): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  return parseRetryAfter(headers.get('retry-after'));
}

/**
 * The message of an OpenAI-style error body (`{ error: { message } }`), or of the common
 * variants (`{ error: "…" }`, `{ message }`, `{ detail }`), else the body text itself.
 */
export function serverMessage(body: string): string {
  let msg: unknown = body;
  try {
    const j = JSON.parse(body) as Record<string, unknown>;
    const e = j?.['error'];
    msg = typeof e === 'string' ? e : (e as { message?: unknown } | undefined)?.message ?? j?.['message'] ?? j?.['detail'] ?? body;
    if (typeof msg !== 'string') msg = JSON.stringify(msg);
  } catch {
    // not JSON: the text as it is
  }
  const s = String(msg).replace(/\s+/g, ' ').trim();
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s;
}

/** A request that never got an answer, or whose stream broke off. */
export function networkError(what: string, cause: unknown, redactor: Redactor): StepError {
  return StepError.transient(redactor.redact(`${what}: ${describeCause(cause)}`));
}

function describeCause(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // undici puts the useful part (ECONNREFUSED, "other side closed") in `cause`.
  const cause = (e as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : '';
  return inner && !e.message.includes(inner) ? `${e.message} (${inner})` : e.message || e.name;
}

/** True for what `fetch` throws when the network fails (a TypeError), as opposed to an abort. */
export function isNetworkFailure(e: unknown): boolean {
  return e instanceof TypeError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'TypeError');
}
