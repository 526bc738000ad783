/**
 * `webhookHook`: POSTs each run outcome as JSON to a URL, at least once (a terminal hook is a
 * durable, retried job). 2xx acknowledges; 408, 429, 5xx and network failures retry (with the
 * server's Retry-After); any other status dead-letters the notification.
 */
import { systemClock, type Clock } from '../core/clock.ts';
import { StepError } from '../core/outcome.ts';
import type { RunOutcome } from '../core/types.ts';
import type { TerminalHook } from './types.ts';
import { parseRetryAfter } from '../core/retry-after.ts';

export { parseRetryAfter };

export interface WebhookOptions {
  url: string;
  /** Extra request headers (e.g. an auth token: it stays in worker memory, never in storage). */
  headers?: Record<string, string>;
  /** Hook name (names the notification jobs). @default 'webhook' */
  name?: string;
  /** Only outcomes this accepts are delivered. @default all */
  observes?: (o: RunOutcome) => boolean;
  /** Per-delivery timeout, in ms on `clock`. @default 30000 */
  timeoutMs?: number;
  /** Times the per-delivery timeout and reads `Retry-After` dates: give the runtime's clock. @default the system clock */
  clock?: Clock;
  /** Injectable for tests. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export function webhookHook(options: WebhookOptions): TerminalHook {
  const url = new URL(options.url).toString();
  const doFetch = options.fetch ?? ((...a: Parameters<typeof fetch>) => globalThis.fetch(...a));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const clock = options.clock ?? systemClock;
  const hook: TerminalHook = {
    name: options.name ?? 'webhook',
    async onTerminal(outcome, _effects, lost) {
      let res: Response;
      const timer = new AbortController();
      const timeout = new AbortController();
      void clock.sleep(timeoutMs, timer.signal).then(
        () => timeout.abort(new DOMException(`the webhook did not answer within ${timeoutMs} ms`, 'TimeoutError')),
        () => undefined,
      );
      try {
        res = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'workflow-run-id': outcome.runId, 'workflow-run-status': outcome.status, ...options.headers },
          body: JSON.stringify(outcome),
          // Also aborted when this delivery loses its claim: the POST is then made by the next one.
          signal: lost ? AbortSignal.any([timeout.signal, lost]) : timeout.signal,
        });
        await res.body?.cancel().catch(() => undefined);
      } catch (e) {
        throw StepError.transient(`webhook delivery failed: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        timer.abort(); // the timeout's sleep ends with the delivery
      }
      if (res.ok) return;
      const message = `webhook answered HTTP ${res.status}`;
      if (res.status === 408 || res.status === 429 || res.status >= 500) {
        const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), clock.now());
        throw StepError.transient(message, retryAfterMs !== undefined ? { retryAfterMs } : {});
      }
      throw StepError.permanent(message);
    },
  };
  if (options.observes) hook.observes = options.observes;
  return hook;
}
