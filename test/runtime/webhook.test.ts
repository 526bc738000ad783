/** `webhookHook` times its POST on the injected clock, like every other timer in Stepwise. */
import { describe, expect, it } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import { isStepError } from '../../src/core/outcome.ts';
import type { RunOutcome } from '../../src/core/types.ts';
import type { TerminalEffects } from '../../src/runtime/types.ts';
import { webhookHook } from '../../src/runtime/webhook.ts';

const OUTCOME = { runId: 'r1', workflow: 'wf', status: 'succeeded', finalStep: 0, headers: {} } as unknown as RunOutcome;
const EFFECTS = {} as TerminalEffects;

/** A fetch that answers only when its signal aborts (then rejects with the abort reason). */
function hangingFetch(): { fetch: typeof fetch; signal: () => AbortSignal | undefined } {
  let signal: AbortSignal | undefined;
  const fake = ((_url: string, init: RequestInit) => {
    signal = init.signal!;
    return new Promise<Response>((_resolve, reject) => signal!.addEventListener('abort', () => reject(signal!.reason as Error), { once: true }));
  }) as unknown as typeof fetch;
  return { fetch: fake, signal: () => signal };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('webhookHook', () => {
  it('times a POST out when the injected clock reaches timeoutMs, not before', async () => {
    const clock = new MockClock();
    const f = hangingFetch();
    const hook = webhookHook({ url: 'https://hooks.example/x', fetch: f.fetch, timeoutMs: 5000, clock });
    const call = hook.onTerminal(OUTCOME, EFFECTS, new AbortController().signal).then(
      () => undefined,
      (e: unknown) => e,
    );
    await turn();
    clock.advance(4999);
    await turn();
    expect(f.signal()?.aborted).toBe(false);
    clock.advance(1);
    await turn();
    expect(f.signal()?.aborted).toBe(true);
    const err = await call;
    expect(isStepError(err) && err.kind).toBe('transient');
    expect((err as Error).message).toMatch(/webhook delivery failed: the webhook did not answer within 5000 ms/);
  });

  it('leaves no timer behind once the POST is answered', async () => {
    const clock = new MockClock();
    const hook = webhookHook({ url: 'https://hooks.example/x', fetch: (async () => new Response(null, { status: 204 })) as typeof fetch, clock });
    await hook.onTerminal(OUTCOME, EFFECTS, new AbortController().signal);
    expect(clock.pendingTimers).toBe(0);
  });
});
