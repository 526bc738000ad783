/**
 * A DevTools session on a SharedWorker, for bench/heap.ts. Playwright does not see
 * SharedWorkers (see docs/platform.md) and its browser CDPSession takes no sessionId, so this attaches
 * in NON-flat mode from a browser-level session: `Target.attachToTarget({ flatten: false })`,
 * commands wrapped in `Target.sendMessageToTarget`, replies and events unwrapped from
 * `Target.receivedMessageFromTarget`. Attaching changes the worker's lifetime (measured:
 * it is not terminated while attached, and a new SharedWorker of the same name would hang):
 * harmless for a measurement that never reloads. Node only.
 */
import type { Browser, CDPSession } from 'playwright-core';

export interface WorkerSession {
  readonly url: string;
  send<T = unknown>(method: string, params?: object): Promise<T>;
  /** Listens to one event method of the worker's session. @returns unsubscribe */
  on(method: string, listener: (params: unknown) => void): () => void;
  detach(): Promise<void>;
}

interface Wrapped {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { message: string };
}

/** Attaches to the first `shared_worker` target whose url contains `urlPart`. @throws if none appears within 10 s */
export async function attachSharedWorker(browser: Browser, urlPart: string): Promise<WorkerSession> {
  const cdp: CDPSession = await browser.newBrowserCDPSession();
  const deadline = Date.now() + 10_000;
  let target: { targetId: string; url: string } | undefined;
  while (!target) {
    const { targetInfos } = await cdp.send('Target.getTargets');
    target = targetInfos.find((t) => t.type === 'shared_worker' && t.url.includes(urlPart));
    if (!target && Date.now() > deadline) throw new Error(`no shared_worker target matching ${urlPart}: ${targetInfos.map((t) => `${t.type} ${t.url}`).join(', ')}`);
    if (!target) await new Promise((r) => setTimeout(r, 100));
  }
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }>();
  const listeners = new Map<string, Set<(params: unknown) => void>>();
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    if (e.sessionId !== sessionId) return;
    const m = JSON.parse(e.message) as Wrapped;
    if (m.id !== undefined) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.reject(new Error(`${p.method}: ${m.error.message}`));
      else p?.resolve(m.result);
    } else if (m.method) for (const l of listeners.get(m.method) ?? []) l(m.params);
  });
  return {
    url: target.url,
    send<T>(method: string, params: object = {}): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
        cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
      });
    },
    on(method, listener) {
      const set = listeners.get(method) ?? new Set();
      listeners.set(method, set);
      set.add(listener);
      return () => void set.delete(listener);
    },
    async detach() {
      await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
      await cdp.detach().catch(() => undefined);
    },
  };
}
