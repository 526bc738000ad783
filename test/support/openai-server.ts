/**
 * A local OpenAI-compatible chat-completions server for the runner tests: real HTTP on
 * 127.0.0.1 (node:http), the wire format of the API's published examples, fault injection per
 * request, and counting. Node only.
 *
 * Wire format (OpenAI API reference, "Create chat completion", default and streaming examples):
 * - JSON: `{ id: 'chatcmpl-…', object: 'chat.completion', created, model, system_fingerprint,
 *   choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null,
 *   finish_reason: 'stop' }], usage: { prompt_tokens, completion_tokens, total_tokens } }`.
 * - SSE (`content-type: text/event-stream`): one `data: <chat.completion.chunk>\n\n` per event;
 *   the first delta carries `role: 'assistant', content: ''`, then one token per chunk in
 *   `choices[0].delta.content`, then an empty delta with `finish_reason`, then (when the request
 *   asked `stream_options: { include_usage: true }`) a chunk with `choices: []` and `usage`, then
 *   `data: [DONE]`. Tool calls stream as `delta.tool_calls[{ index, id, type, function: { name,
 *   arguments } }]`, the arguments in pieces, and finish with `finish_reason: 'tool_calls'`.
 * - Errors: `{ error: { message, type, param: null, code } }` with the HTTP status.
 *
 * Counting. `requests` counts chat-completion POSTs received (CORS preflights are not counted).
 * `completed` counts answers delivered in full: a JSON body written to the end, or a stream
 * written through `data: [DONE]`. That is what a paid API bills as one completion; a stream
 * that the client abandoned or the server dropped midway is counted in `aborted` / `dropped`
 * instead. The per-request `log` says which happened to each request.
 *
 * CORS is open (`*`, with `Retry-After` exposed), so a page or a SharedWorker on another
 * 127.0.0.1 port can call it.
 *
 * Replay. A `replay` fault answers one request with a response that a real provider sent,
 * byte for byte (`recordedResponse` loads one from the corpus in test/fixtures/providers).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a request gets instead of a normal answer. */
export type Fault =
  /** An error status with an OpenAI error body (`message`, else a default) and optional Retry-After. */
  | { kind: 'status'; status: number; message?: string; retryAfter?: string; retryAfterMs?: string }
  /** The connection is destroyed before any response: the client sees a network failure. */
  | { kind: 'reset' }
  /** The connection is destroyed after `afterChunks` stream chunks (or mid-body for JSON). */
  | { kind: 'drop'; afterChunks: number }
  /** The stream ends cleanly after `afterChunks` chunks, without finish_reason or [DONE]. */
  | { kind: 'truncate'; afterChunks: number }
  /** An `{ error }` event is sent after `afterChunks` chunks, then the stream ends. */
  | { kind: 'errorEvent'; afterChunks: number; message?: string }
  /** The answer is written with this delay before every chunk (before the body for JSON). */
  | { kind: 'slow'; chunkDelayMs: number }
  /**
   * A recorded response, written byte for byte: `status` (default 200), `headers` (default
   * none but CORS), then `body` as it is, in writes of at most `pieceBytes` bytes (default: one
   * write) so that an event may arrive split. See `recordedResponse`.
   */
  | { kind: 'replay'; status?: number; headers?: Record<string, string>; body: string | Uint8Array; pieceBytes?: number };

/** What the model "answers" to a request. */
export interface Reply {
  content?: string;
  toolCalls?: { name: string; arguments: string }[];
}

export interface RecordedRequest {
  n: number;
  body: Record<string, unknown>;
  /** The Authorization header as received (the key is config: a test may check it arrived). */
  authorization: string | null;
  headers: Record<string, string | string[] | undefined>;
  stream: boolean;
  outcome: 'pending' | 'completed' | 'failed' | 'aborted' | 'dropped' | 'truncated';
  /** Chunks written (streams). */
  chunks: number;
}

export interface OpenAiServerOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`, else 401. */
  apiKey?: string;
  /** The answer to each request. @default `Echo: <last user message>` */
  reply?: (req: RecordedRequest) => Reply;
  /** Delay before each streamed chunk. @default 0 */
  chunkDelayMs?: number;
}

export interface OpenAiServer {
  /** `http://127.0.0.1:<port>/v1`: the client's baseURL. */
  readonly baseURL: string;
  readonly port: number;
  /** Chat-completion POSTs received. */
  readonly requests: number;
  /** Answers delivered in full (JSON written to the end, or a stream through [DONE]). */
  readonly completed: number;
  /** Requests the client went away from before their answer was complete. */
  readonly aborted: number;
  /** Requests whose connection the server dropped on purpose (a `drop` or `reset` fault). */
  readonly dropped: number;
  /** Streams currently held open (see `holdStreams`). */
  readonly held: number;
  readonly log: readonly RecordedRequest[];
  /** The next requests get these faults, one each, in order. */
  inject(...faults: Fault[]): void;
  /**
   * From now on, every stream stops after `afterChunks` chunks and stays open until
   * `release()`; then it continues to the end.
   */
  holdStreams(afterChunks: number): void;
  /** Lets every held stream go on, and stops holding new ones. */
  release(): void;
  setReply(reply: (req: RecordedRequest) => Reply): void;
  /** Counters and log back to zero; faults, holds and the reply back to the defaults. */
  reset(): void;
  /** Polls `cond` until true. @throws after `timeoutMs` */
  waitFor(cond: (s: OpenAiServer) => boolean, timeoutMs?: number): Promise<void>;
  /** Stops listening and destroys open connections. */
  close(): Promise<void>;
}

export const DEFAULT_MODEL = 'gpt-4o-mini';

export function defaultReply(req: RecordedRequest): Reply {
  const messages = (req.body['messages'] as { role: string; content: unknown }[] | undefined) ?? [];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  return { content: `Echo: ${typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? null)}` };
}

/** Splits text into the tokens of a stream: words with their trailing space. */
export function tokensOf(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

export async function startOpenAiServer(options: OpenAiServerOptions = {}): Promise<OpenAiServer> {
  let reply = options.reply ?? defaultReply;
  let faults: Fault[] = [];
  let log: RecordedRequest[] = [];
  let counts = { requests: 0, completed: 0, aborted: 0, dropped: 0 };
  let holdAfter: number | undefined;
  let gate = deferred();
  let held = 0;
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'retry-after, retry-after-ms, x-request-id');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'authorization, content-type',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    if (req.method !== 'POST' || !/\/chat\/completions$/.test(new URL(req.url ?? '/', 'http://x').pathname)) {
      sendError(res, 404, `Unknown request URL: ${req.method} ${req.url}`, 'invalid_request_error', 'unknown_url');
      return;
    }
    const raw = await readBody(req);
    counts.requests++;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      sendError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null);
      return;
    }
    const rec: RecordedRequest = {
      n: counts.requests,
      body,
      authorization: req.headers.authorization ?? null,
      headers: { ...req.headers },
      stream: body['stream'] === true,
      outcome: 'pending',
      chunks: 0,
    };
    log.push(rec);
    res.on('close', () => {
      if (rec.outcome === 'pending') {
        rec.outcome = 'aborted';
        counts.aborted++;
      }
    });

    if (options.apiKey !== undefined && rec.authorization !== `Bearer ${options.apiKey}`) {
      // The real API masks most of a rejected key; echoing it whole makes the redaction test stricter.
      const presented = rec.authorization?.replace(/^Bearer\s+/i, '') ?? '';
      rec.outcome = 'failed';
      sendError(res, 401, `Incorrect API key provided: ${presented}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key');
      return;
    }
    const fault = faults.shift();
    if (fault?.kind === 'status') {
      rec.outcome = 'failed';
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = fault.retryAfterMs;
      const type = fault.status === 429 ? 'requests' : fault.status >= 500 ? 'server_error' : 'invalid_request_error';
      sendError(res, fault.status, fault.message ?? defaultMessage(fault.status), type, null, headers);
      return;
    }
    if (fault?.kind === 'replay') {
      await replay(res, rec, fault);
      return;
    }
    if (fault?.kind === 'reset') {
      rec.outcome = 'dropped';
      counts.dropped++;
      req.socket.destroy();
      return;
    }
    const answer = reply(rec);
    const model = typeof body['model'] === 'string' ? body['model'] : DEFAULT_MODEL;
    const delayMs = fault?.kind === 'slow' ? fault.chunkDelayMs : (options.chunkDelayMs ?? 0);
    if (rec.stream) await stream(res, rec, answer, model, fault, delayMs);
    else await json(res, rec, answer, model, fault, delayMs);
  }

  async function json(res: ServerResponse, rec: RecordedRequest, answer: Reply, model: string, fault: Fault | undefined, delayMs: number): Promise<void> {
    if (delayMs > 0) await sleep(delayMs);
    if (res.destroyed) return;
    const message: Record<string, unknown> = { role: 'assistant', content: answer.content ?? null, refusal: null };
    if (answer.toolCalls) message['tool_calls'] = answer.toolCalls.map((t, i) => ({ id: `call_${rec.n}_${i}`, type: 'function', function: t }));
    const text = JSON.stringify({
      id: `chatcmpl-${rec.n}`,
      object: 'chat.completion',
      created: 1_700_000_000,
      model,
      system_fingerprint: 'fp_44709d6fcb',
      choices: [{ index: 0, message, logprobs: null, finish_reason: answer.toolCalls ? 'tool_calls' : 'stop' }],
      usage: usageOf(rec, answer),
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    if (fault?.kind === 'drop' || fault?.kind === 'truncate') {
      res.write(text.slice(0, Math.floor(text.length / 2)));
      await sleep(10);
      if (fault.kind === 'drop') {
        rec.outcome = 'dropped';
        counts.dropped++;
        res.socket?.destroy();
      } else {
        rec.outcome = 'truncated';
        res.end();
      }
      return;
    }
    res.write(text, () => {
      finish(rec);
      res.end();
    });
  }

  async function stream(res: ServerResponse, rec: RecordedRequest, answer: Reply, model: string, fault: Fault | undefined, delayMs: number): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const head = { id: `chatcmpl-${rec.n}`, object: 'chat.completion.chunk', created: 1_700_000_000, model, system_fingerprint: 'fp_44709d6fcb' };
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
    const events: unknown[] = [];
    if (answer.toolCalls) {
      events.push(chunk({ role: 'assistant', content: null, refusal: null }));
      answer.toolCalls.forEach((t, i) => {
        events.push(chunk({ tool_calls: [{ index: i, id: `call_${rec.n}_${i}`, type: 'function', function: { name: t.name, arguments: '' } }] }));
        for (const piece of t.arguments.match(/.{1,4}/gs) ?? []) events.push(chunk({ tool_calls: [{ index: i, function: { arguments: piece } }] }));
      });
      events.push(chunk({}, 'tool_calls'));
    } else {
      events.push(chunk({ role: 'assistant', content: '', refusal: null }));
      for (const t of tokensOf(answer.content ?? '')) events.push(chunk({ content: t }));
      events.push(chunk({}, 'stop'));
    }
    const so = rec.body['stream_options'] as { include_usage?: boolean } | undefined;
    if (so?.include_usage) events.push({ ...head, choices: [], usage: usageOf(rec, answer) });

    const write = (data: string) => new Promise<void>((resolve) => res.write(`data: ${data}\n\n`, () => resolve()));
    for (let i = 0; i < events.length; i++) {
      if (res.destroyed) return;
      if (fault && 'afterChunks' in fault && i === fault.afterChunks) {
        if (fault.kind === 'drop') {
          rec.outcome = 'dropped';
          counts.dropped++;
          res.socket?.destroy();
        } else if (fault.kind === 'truncate') {
          rec.outcome = 'truncated';
          res.end();
        } else {
          rec.outcome = 'failed';
          await write(JSON.stringify({ error: { message: fault.message ?? 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } }));
          res.end();
        }
        return;
      }
      if (holdAfter !== undefined && i === holdAfter) {
        held++;
        const g = gate;
        await Promise.race([g.promise, new Promise((r) => res.once('close', r))]);
        held--;
        if (res.destroyed) return;
      }
      if (delayMs > 0) await sleep(delayMs);
      if (res.destroyed) return;
      await write(JSON.stringify(events[i]));
      rec.chunks++;
    }
    if (res.destroyed) return;
    await write('[DONE]');
    finish(rec);
    res.end();
  }

  async function replay(res: ServerResponse, rec: RecordedRequest, f: Extract<Fault, { kind: 'replay' }>): Promise<void> {
    const bytes = typeof f.body === 'string' ? Buffer.from(f.body, 'utf8') : Buffer.from(f.body);
    const status = f.status ?? 200;
    res.writeHead(status, f.headers ?? {});
    const piece = f.pieceBytes ?? bytes.length;
    for (let at = 0; at < bytes.length; at += Math.max(1, piece)) {
      if (res.destroyed) return;
      await new Promise<void>((resolve) => res.write(bytes.subarray(at, at + Math.max(1, piece)), () => resolve()));
      rec.chunks++;
    }
    if (res.destroyed) return;
    if (status >= 400) rec.outcome = 'failed';
    else finish(rec);
    res.end();
  }

  function finish(rec: RecordedRequest): void {
    if (rec.outcome !== 'pending') return;
    rec.outcome = 'completed';
    counts.completed++;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const api: OpenAiServer = {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    get requests() {
      return counts.requests;
    },
    get completed() {
      return counts.completed;
    },
    get aborted() {
      return counts.aborted;
    },
    get dropped() {
      return counts.dropped;
    },
    get held() {
      return held;
    },
    get log() {
      return log;
    },
    inject(...f) {
      faults.push(...f);
    },
    holdStreams(afterChunks) {
      holdAfter = afterChunks;
    },
    release() {
      holdAfter = undefined;
      gate.resolve();
      gate = deferred();
    },
    setReply(r) {
      reply = r;
    },
    reset() {
      reply = options.reply ?? defaultReply;
      counts = { requests: 0, completed: 0, aborted: 0, dropped: 0 };
      log = [];
      faults = [];
      api.release();
    },
    async waitFor(cond, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (!cond(api)) {
        if (Date.now() > until) throw new Error(`mock OpenAI server: condition not met within ${timeoutMs} ms (requests ${counts.requests}, completed ${counts.completed}, aborted ${counts.aborted}, held ${held})`);
        await sleep(5);
      }
    },
    close() {
      api.release();
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}

function usageOf(rec: RecordedRequest, answer: Reply): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const prompt = tokensOf(JSON.stringify(rec.body['messages'] ?? [])).length;
  const completion = answer.toolCalls ? answer.toolCalls.length * 5 : tokensOf(answer.content ?? '').length;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function sendError(res: ServerResponse, status: number, message: string, type: string, code: string | null, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type, param: null, code } }));
}

function defaultMessage(status: number): string {
  if (status === 429) return 'Rate limit reached for gpt-4o-mini in organization org-test on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.';
  if (status >= 500) return 'The server had an error while processing your request. Sorry about that!';
  return `Request failed with status ${status}.`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A recorded provider response from the corpus (test/fixtures/providers, see its README), as a
 * `replay` fault:
 * - `*.sse`: a server-sent-events body exactly as captured, framing included;
 * - `*.chunks.txt`: one `chat.completion.chunk` payload per line, as the AI SDK's fixtures keep
 *   them; each line is sent verbatim as `data: <line>` + blank line, then `data: [DONE]`, the
 *   framing the AI SDK's own replay adds;
 * - `*.json`: a JSON body exactly as captured; `*.<status>.json` is sent with that HTTP status.
 */
export function recordedResponse(path: string, options: { pieceBytes?: number; headers?: Record<string, string> } = {}): Fault {
  const name = basename(path);
  const raw = readFileSync(path);
  const extra = options.headers ?? {};
  const piece = options.pieceBytes !== undefined ? { pieceBytes: options.pieceBytes } : {};
  if (name.endsWith('.sse')) return { kind: 'replay', headers: { 'content-type': 'text/event-stream', ...extra }, body: raw, ...piece };
  if (name.endsWith('.chunks.txt')) {
    const lines = raw.toString('utf8').split('\n').filter((l) => l.trim() !== '');
    const body = lines.map((l) => `data: ${l}\n\n`).join('') + 'data: [DONE]\n\n';
    return { kind: 'replay', headers: { 'content-type': 'text/event-stream', ...extra }, body, ...piece };
  }
  const status = /\.(\d{3})\.json$/.exec(name);
  return { kind: 'replay', status: status ? Number(status[1]) : 200, headers: { 'content-type': 'application/json', ...extra }, body: raw, ...piece };
}
