/**
 * How an LLM API failure becomes a `StepError`, the only thing the runtime needs to know:
 * - 429, 408 and 5xx: transient, retried after the server's `Retry-After` (or `retry-after-ms`,
 *   which OpenAI also sends) when it gave one, else after the runtime's backoff. 408 (request
 *   timeout) is retried like a 5xx: the server says it never processed the request.
 * - any other 4xx (bad request, bad key, unknown model, …): permanent, with the server's own
 *   message, so the run fails with a reason a person can act on.
 * - an error sent inside a stream: by its code, like an HTTP status (see `streamError`).
 * - a network failure or a broken stream: transient (unless offline: see chat.ts).
 * Every message passes through the request's `Redactor` before it is cut: it is stored as the
 * step's error.
 */
import { StepError } from '../../core/outcome.ts';
import { parseRetryAfter } from '../../core/retry-after.ts';
import type { Redactor } from './redactor.ts';

/**
 * Stored messages are cut to this many characters (an HTML error page is not a message). The
 * cut comes after redaction, so it can never leave part of a secret behind.
 */
const MAX_MESSAGE = 500;
/** Only this much of a body is read for its message (the message keeps the first MAX_MESSAGE). */
const SCAN_LIMIT = 64 * 1024;

/**
 * Error types a provider documents as worth retrying although they come with a 4xx-looking
 * code (OpenRouter's `error.metadata.error_type`, Anthropic's `error.type`).
 */
const RETRYABLE_TYPES = new Set(['rate_limit_exceeded', 'provider_overloaded', 'provider_unavailable', 'timeout', 'server', 'overloaded_error', 'api_error']);

/** Reads the failed response's body and maps it. */
export async function httpError(res: Response, redactor: Redactor, now: number): Promise<StepError> {
  const text = await res.text().catch(() => '');
  const detail = serverError(text).message;
  const message = redactor.bounded(`LLM API answered HTTP ${res.status}${detail ? `: ${detail}` : ''}`, MAX_MESSAGE);
  if (res.status === 408 || res.status === 429 || res.status >= 500) {
    const retryAfterMs = retryAfter(res.headers, now);
    return StepError.transient(message, retryAfterMs !== undefined ? { retryAfterMs } : {});
  }
  return StepError.permanent(message);
}

/**
 * An error a server sent inside a stream after its 200 (an `error` event or a chunk with an
 * `error` object). Classified by its code like an HTTP status: 408, 429, 5xx, a provider's
 * documented retryable type, or no numeric code at all (OpenAI's `server_error`) are transient;
 * any other 4xx (a token limit, a rejected request) is permanent, since asking again would be
 * refused the same way and billed again.
 */
export function streamError(data: string, redactor: Redactor): StepError {
  const e = serverError(data);
  const message = redactor.bounded(`LLM API reported an error mid-stream: ${e.message}`, MAX_MESSAGE);
  const code = e.code;
  const permanent = code !== undefined && code >= 400 && code < 500 && code !== 408 && code !== 429 && !e.retryable;
  return permanent ? StepError.permanent(message) : StepError.transient(message);
}

/** The server's advised delay: `retry-after-ms` (OpenAI), else `Retry-After` (seconds, or a date read against `now`). */
export function retryAfter(headers: Headers, now: number): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  return parseRetryAfter(headers.get('retry-after'), now);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What an error body says, not yet redacted nor cut: the message of an OpenAI-style body
 * (`{ error: { message } }`) or of the common variants (`{ error: "…" }`, `{ message }`,
 * `{ detail }`), else the body text; followed by the provider detail a gateway adds
 * (OpenRouter's `error.metadata.raw` and `provider_name`, which carry the upstream reason
 * behind its generic "Provider returned error"). `code` is the numeric error code, when the
 * body has one; `retryable` says the provider marked the error as worth retrying.
 */
export function serverError(body: string): { message: string; code?: number; retryable: boolean } {
  const text = body.length > SCAN_LIMIT ? body.slice(0, SCAN_LIMIT) : body;
  let msg: unknown = text;
  let code: number | undefined;
  let retryable = false;
  try {
    const j = JSON.parse(text) as unknown;
    const e = isObj(j) ? j['error'] : undefined;
    if (isObj(e)) {
      msg = e['message'] ?? JSON.stringify(e);
      const c = e['code'] ?? e['status'];
      if (typeof c === 'number' || (typeof c === 'string' && /^\d{3}$/.test(c))) code = Number(c);
      const meta = isObj(e['metadata']) ? e['metadata'] : {};
      const type = meta['error_type'] ?? e['type'];
      retryable = (typeof type === 'string' && RETRYABLE_TYPES.has(type)) || (isObj(e['availability']) && e['availability']['retryable'] === true);
      const detail = providerDetail(meta, String(msg));
      if (detail) msg = `${String(msg)} (${detail})`;
    } else if (isObj(j)) {
      msg = e ?? j['message'] ?? j['detail'] ?? text;
    }
    if (typeof msg !== 'string') msg = JSON.stringify(msg);
  } catch {
    // not JSON: the text as it is
  }
  return { message: String(msg).replace(/\s+/g, ' ').trim(), ...(code !== undefined ? { code } : {}), retryable };
}

/** "provider: raw reason" from a gateway's error metadata, or '' when it adds nothing. */
function providerDetail(meta: Obj, message: string): string {
  const provider = typeof meta['provider_name'] === 'string' ? meta['provider_name'] : '';
  let raw = meta['raw'];
  if (typeof raw === 'string') {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (isObj(parsed)) raw = parsed;
    } catch {
      // a plain-text reason
    }
  }
  if (isObj(raw)) {
    const inner = isObj(raw['error']) ? raw['error']['message'] : raw['message'];
    raw = typeof inner === 'string' ? inner : JSON.stringify(raw);
  }
  const reason = typeof raw === 'string' && raw !== message ? raw : '';
  if (provider && reason) return `${provider}: ${reason}`;
  return provider || reason;
}

/** A request that never got an answer, or whose stream broke off. */
export function networkError(what: string, cause: unknown, redactor: Redactor): StepError {
  return StepError.transient(redactor.bounded(`${what}: ${describeCause(cause)}`, MAX_MESSAGE));
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
