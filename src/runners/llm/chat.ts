/**
 * One chat-completions call inside a step, with the guarantees a durable step needs:
 *
 * 1. Memoized: the answer is recorded in the step's memo (keyed by the request content, never
 *    by the key or headers) before `chat` returns, so a retried or redelivered step gets it
 *    back with no HTTP request. Only a complete, checked answer is recorded: a stream cut off
 *    by a reload, a crash or a dropped connection, or a body without a choice, is not an
 *    answer, writes nothing, and the next attempt asks again.
 * 2. Live: streamed tokens go to `step.progress` in batches (progress.ts) and the lease is
 *    extended while they arrive (lease.ts).
 * 3. Abortable: `step.signal` (cancel, lost lease) aborts the request and rejects with its reason.
 * 4. Classified failures (errors.ts): 429/408/5xx transient with Retry-After, other 4xx
 *    permanent. A network failure while the platform is offline does not fail the attempt: the
 *    step waits for `online` (lease kept alive) and sends the request again.
 */
import { checkJson, type Json } from '../../core/json.ts';
import { StepError, isStepError } from '../../core/outcome.ts';
import type { Step } from '../../runtime/types.ts';
import { LeaseKeeper } from '../lease-keeper.ts';
import type { ResolvedConfig } from './config.ts';
import { asCompletion, checkAnswer, parseCompletion, toResult, type Completion } from './completion.ts';
import { httpError, isNetworkFailure, networkError } from './errors.ts';
import { ProgressBatcher } from './progress.ts';
import type { Redactor } from './redactor.ts';
import { readCompletionStream } from './stream.ts';
import type { ChatRequest, ChatResult } from './types.ts';

export interface ChatOptions {
  /**
   * Tells apart two calls with the same request in one step (e.g. two samples at a high
   * temperature): each key is memoized separately. @default ''
   */
  memoKey?: string;
}

/** Fields that change how the answer travels, not what it is: left out of the memo key. */
const TRANSPORT_FIELDS = new Set(['stream', 'stream_options']);

export async function chat(cfg: ResolvedConfig, step: Step, request: ChatRequest, options: ChatOptions = {}): Promise<ChatResult> {
  const { body, stream, memoInput } = prepare(cfg, request, options);
  const recorded = asCompletion(await step.memo.contentGet(memoInput));
  if (recorded) {
    const result = toResult(recorded, true);
    if (stream) new ProgressBatcher(step, 0, cfg.clock).finish({ text: result.content ?? '', reasoning: result.reasoning ?? '', refusal: result.refusal ?? '' });
    return result;
  }
  for (;;) {
    if (step.signal.aborted) throw step.signal.reason;
    let auth: { headers: Record<string, string>; redactor: Redactor };
    try {
      auth = await cfg.authorize();
    } catch (e) {
      // The key function failed: its message may quote a secret.
      const se = StepError.from(e);
      throw new StepError(se.kind, cfg.redactor.redact(se.message));
    }
    let completion: Completion;
    try {
      completion = await send(cfg, step, body, stream, auth);
      checkAnswer(completion); // before recording: a glitch recorded would be replayed forever
    } catch (e) {
      if (!isNetworkFailure(e)) throw e;
      if (cfg.network.isOnline()) throw unreachable(networkError('LLM API request failed', e, auth.redactor));
      await waitUntilOnline(cfg, step);
      continue; // not an attempt: the request never reached a server that could answer it
    }
    try {
      await step.memo.contentPut(memoInput, completion as Json);
    } catch {
      // The answer is paid for: hand it back even if it could not be recorded (a full disk).
      // A redelivery of this step would ask again; the settlement is likely to fail the same way.
    }
    const result = toResult(completion, false);
    return result;
  }
}

function prepare(cfg: ResolvedConfig, request: ChatRequest, options: ChatOptions): { body: Record<string, Json>; stream: boolean; memoInput: Json } {
  if (typeof request !== 'object' || request === null || !Array.isArray(request.messages)) {
    throw StepError.permanent('llm.chat needs a request with a messages array');
  }
  const body: Record<string, Json> = {};
  for (const [k, v] of Object.entries(request)) if (v !== undefined) body[k] = v as Json; // checked below
  const model = request.model ?? cfg.model;
  if (model !== undefined) body['model'] = model;
  const stream = request.stream === true;
  delete body['stream'];
  if (stream) body['stream'] = true;
  // A request that is not JSON is a bug in the workflow: InvalidPayload, permanent.
  checkJson(body, 'llm.chat request');
  const content: Record<string, Json> = {};
  for (const [k, v] of Object.entries(body)) if (!TRANSPORT_FIELDS.has(k)) content[k] = v;
  const memoInput: Json = { call: 'stepwise/llm.chat', v: 1, endpoint: cfg.endpoint, memoKey: options.memoKey ?? '', request: content };
  return { body, stream, memoInput };
}

/**
 * One HTTP exchange. Rejects with a StepError, with the step signal's reason when it aborted,
 * or with the raw network failure (a TypeError) for the caller's offline check.
 */
async function send(cfg: ResolvedConfig, step: Step, body: Record<string, Json>, stream: boolean, auth: { headers: Record<string, string>; redactor: Redactor }): Promise<Completion> {
  const request = new AbortController();
  const onStepAbort = () => request.abort(step.signal.reason);
  step.signal.addEventListener('abort', onStepAbort, { once: true });
  const timedOut = StepError.transient(`LLM API request timed out after ${cfg.timeoutMs} ms`);
  const timers = new AbortController();
  if (cfg.timeoutMs > 0) {
    cfg.clock.sleep(cfg.timeoutMs, timers.signal).then(
      () => request.abort(timedOut),
      () => undefined,
    );
  }
  const lease = new LeaseKeeper(step.lease, cfg.leaseMs, cfg.clock, (lost) => request.abort(lost));
  const waiting = new AbortController(); // the heartbeat runs until tokens take over
  void lease.heartbeat(AbortSignal.any([waiting.signal, timers.signal]));
  const progress = new ProgressBatcher(step, cfg.progressIntervalMs, cfg.clock);
  try {
    const res = await cfg.fetch(cfg.endpoint, {
      method: 'POST',
      headers: auth.headers,
      body: JSON.stringify(body),
      signal: request.signal,
    });
    if (!res.ok) throw await httpError(res, auth.redactor, cfg.clock.now());
    const type = res.headers.get('content-type') ?? '';
    if (stream && res.body && type.includes('text/event-stream')) {
      waiting.abort();
      lease.touch();
      let shown = '0/0/0'; // nothing shown yet
      const completion = await readCompletionStream(
        res.body,
        {
          onChunk(answer) {
            lease.touch();
            // Only text grows, so the lengths tell whether anything new arrived (a role,
            // tool-call, label or finish chunk shows nothing new).
            const seen = `${answer.text.length}/${answer.reasoning.length}/${answer.refusal.length}`;
            if (seen === shown) return;
            shown = seen;
            progress.update(answer);
          },
        },
        auth.redactor,
      );
      const first = completion.choices[0];
      const text = (v: unknown) => (typeof v === 'string' ? v : '');
      progress.finish({
        text: text(first?.message.content),
        reasoning: text(first?.message['reasoning_content']) + text(first?.message['reasoning']) + text(first?.['reasoning']),
        refusal: text(first?.message.refusal),
      });
      return completion;
    }
    // A plain JSON answer (also from a server that ignores `stream`).
    let json: unknown;
    try {
      json = await res.json();
    } catch (e) {
      if (isNetworkFailure(e) || request.signal.aborted) throw e;
      throw StepError.transient('LLM API sent a malformed answer: the body is not JSON');
    }
    return parseCompletion(json);
  } catch (e) {
    progress.stop();
    if (request.signal.aborted) throw request.signal.reason;
    if (isStepError(e) || isNetworkFailure(e)) throw e;
    // Anything else (a fetch implementation that threw, …): its message may quote a secret.
    const se = StepError.from(e);
    throw new StepError(se.kind, auth.redactor.redact(se.message));
  } finally {
    waiting.abort();
    timers.abort();
    step.signal.removeEventListener('abort', onStepAbort);
  }
}

/** Parks the step until the platform is online again, keeping its lease alive meanwhile. */
async function waitUntilOnline(cfg: ResolvedConfig, step: Step): Promise<void> {
  const stop = new AbortController();
  const onStepAbort = () => stop.abort(step.signal.reason);
  step.signal.addEventListener('abort', onStepAbort, { once: true });
  const lease = new LeaseKeeper(step.lease, cfg.leaseMs, cfg.clock, (lost) => stop.abort(lost));
  const online = new AbortController();
  void lease.heartbeat(AbortSignal.any([stop.signal, online.signal]));
  try {
    await cfg.network.whenOnline(stop.signal);
  } finally {
    online.abort();
    step.signal.removeEventListener('abort', onStepAbort);
  }
}

/**
 * A browser reports a server that is down, unreachable or refusing this origin (no CORS headers)
 * all as the same bare TypeError ("Failed to fetch"): name the causes and what fixes each.
 */
function unreachable(e: StepError): StepError {
  return new StepError(
    e.kind,
    `${e.message}. The connection to the LLM API failed: check that the server at baseURL is up and reachable, ` +
      `that it allows this origin (CORS: a browser needs Access-Control-Allow-Origin on its answers, and ` +
      `Access-Control-Allow-Headers for Authorization and Content-Type on the preflight), and that the device is online`,
  );
}
