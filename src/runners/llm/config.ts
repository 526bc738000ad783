/**
 * The client's configuration, resolved once by `createLlm`.
 *
 * Invariant (DESIGN principle 6, "no secrets at rest"): the API key and the extra headers live
 * only in this closure. They are added to the outgoing request and nowhere else: not to the memo
 * key or value, not to progress, not to any error message (see `Redactor`), and nothing here
 * logs. Whatever a runner stores comes from the request body and the server's answer.
 */
import { systemClock, type Clock } from '../../core/clock.ts';
import { invalidArgument } from '../../core/errors.ts';
import { browserNetwork, type NetworkStatus } from './network.ts';
import { Redactor } from './redactor.ts';

export interface LlmOptions {
  /**
   * The API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`; requests
   * go to `${baseURL}/chat/completions`. Do not put a key in it (use `apiKey` or `headers`).
   */
  baseURL: string;
  /** Sent as `Authorization: Bearer <key>`; a function is asked before each request. */
  apiKey?: string | (() => string | Promise<string>);
  /** The default model of `chat` requests. */
  model?: string;
  /** Extra request headers (e.g. `api-key` for Azure). Treated as secrets, like the key. */
  headers?: Record<string, string>;
  /** Injectable for tests. @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Where "offline" comes from. @default `navigator.onLine` and the global `online` event
   * (in a SharedWorker: the worker's own `navigator` and `self`)
   */
  network?: NetworkStatus;
  /**
   * Paces the runner's own timers (progress batching, lease heartbeat, request timeout). Pass
   * the runtime's MockClock in tests to move them with it. @default the system clock
   */
  clock?: Clock;
  /**
   * Each lease extension asks for this much more time; extensions happen at most every
   * `leaseMs / 4` while tokens arrive (or while waiting for an answer or for the network).
   * 0 never extends. @default 60000
   */
  leaseMs?: number;
  /** Batching of streamed tokens: at most one `step.progress` update per this many ms (0: one per chunk). @default 100 */
  progressIntervalMs?: number;
  /** A request (the whole stream included) that takes longer is aborted as transient; 0 never. @default 600000 */
  timeoutMs?: number;
}

export interface ResolvedConfig {
  endpoint: string;
  model: string | undefined;
  fetch: typeof fetch;
  network: NetworkStatus;
  clock: Clock;
  leaseMs: number;
  progressIntervalMs: number;
  timeoutMs: number;
  /**
   * The headers of one request, secrets included (only ever handed to `fetch`), and the
   * redactor for that request's messages: the client's secrets plus the key the `apiKey`
   * function returned this time, forgotten with the request.
   * @throws whatever the `apiKey` function throws
   */
  authorize(): Promise<{ headers: Record<string, string>; redactor: Redactor }>;
  /** The client's own secrets (a string `apiKey`, the extra headers), for messages outside a request. */
  redactor: Redactor;
}

/** @throws WorkflowError `InvalidArgument` naming the bad option */
export function resolveConfig(o: LlmOptions): ResolvedConfig {
  if (typeof o !== 'object' || o === null) throw invalidArgument('options', 'must be an object');
  let base: URL;
  try {
    base = new URL(o.baseURL);
  } catch {
    // Not echoed: a malformed URL may still hold something private.
    throw invalidArgument('baseURL', 'must be an absolute http(s) URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw invalidArgument('baseURL', 'must be an absolute http(s) URL');
  base.pathname = `${base.pathname.replace(/\/+$/, '')}/chat/completions`;
  if (o.model !== undefined && typeof o.model !== 'string') throw invalidArgument('model', 'must be a string');
  if (o.apiKey !== undefined && typeof o.apiKey !== 'string' && typeof o.apiKey !== 'function') throw invalidArgument('apiKey', 'must be a string or a function');
  const extra = { ...(o.headers ?? {}) };
  for (const [k, v] of Object.entries(extra)) if (typeof v !== 'string') throw invalidArgument(`headers.${k}`, 'must be a string');
  const positive = (v: number | undefined, what: string, d: number): number => {
    if (v === undefined) return d;
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw invalidArgument(what, 'must be a finite number >= 0', v);
    return v;
  };
  const apiKey = o.apiKey;
  const redactor = new Redactor([...Object.values(extra), ...(typeof apiKey === 'string' ? [apiKey] : [])]);
  const doFetch = o.fetch ?? ((...a: Parameters<typeof fetch>) => globalThis.fetch(...a));
  return {
    endpoint: base.toString(),
    model: o.model,
    fetch: doFetch,
    network: o.network ?? browserNetwork(),
    clock: o.clock ?? systemClock,
    leaseMs: positive(o.leaseMs, 'leaseMs', 60_000),
    progressIntervalMs: positive(o.progressIntervalMs, 'progressIntervalMs', 100),
    timeoutMs: positive(o.timeoutMs, 'timeoutMs', 600_000),
    redactor,
    async authorize() {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...extra };
      const key = typeof apiKey === 'function' ? await apiKey() : apiKey;
      if (typeof key !== 'string' || key === '') return { headers, redactor };
      headers['authorization'] = `Bearer ${key}`;
      return { headers, redactor: redactor.with(key) };
    },
  };
}
