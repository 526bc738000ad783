/**
 * Driving a Stepwise app through its pages, from a Node test. Node only: each helper talks to
 * the page's `connect()` client with `page.evaluate`, because Playwright cannot see a
 * SharedWorker at all (docs/platform.md). The client is found by evaluating `clientExpression`
 * in the page (by default `window.app`), so an app exposes its client somewhere reachable.
 *
 * The helpers ride out what these tests provoke on purpose: a call that rejects `Unavailable`
 * (its worker died; the client is already reconnecting), a page mid-navigation, and a page whose
 * module has not defined the client yet are all retried until the deadline.
 *
 * Deadlines and polls use Node's own time (`Date.now`, `setTimeout`), not an injected `Clock`:
 * they bound how long a Node test waits for a real browser, whose time no test controls.
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { RunState, RunStatus } from '../core/types.ts';
import { names } from '../rpc/protocol.ts';
import type { ChromiumSession } from './browser.ts';

const DEFAULT_CLIENT = 'window.app';
const TERMINAL: readonly RunState[] = ['succeeded', 'failed', 'cancelled'];

export interface WaitForRunOptions {
  /**
   * Resolve once the run is in this state (or one of these) instead of a terminal one. A
   * terminal state that is not asked for fails the wait at once (it cannot change any more).
   */
  state?: RunState | readonly RunState[];
  /** Also require the run to be at this step. */
  stepNumber?: number;
  /** @default 30000 */
  timeoutMs?: number;
  /** Where the page keeps its client. @default 'window.app' */
  clientExpression?: string;
  /** Pause between two polls. @default 25 */
  intervalMs?: number;
}

/** What one poll through the page gave. */
type Probe =
  | { kind: 'ok'; value: unknown }
  | { kind: 'noClient' }
  | { kind: 'error'; name: string; message: string };

/**
 * Polls `status(runId)` through the page's client until the run is terminal (or in
 * `options.state`, at `options.stepNumber`), and resolves with that status.
 * @throws after `timeoutMs` with the last status seen, or at once on an error other than `Unavailable`
 */
export async function waitForRun(page: Page, runId: string, options: WaitForRunOptions = {}): Promise<RunStatus> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const wanted = options.state === undefined ? TERMINAL : typeof options.state === 'string' ? [options.state] : options.state;
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    const remaining = deadline - Date.now();
    const probe = await callClient(page, options.clientExpression, 'status', [runId], Math.max(1, remaining));
    if (probe?.kind === 'ok') {
      const s = probe.value as RunStatus | undefined;
      last = JSON.stringify(s ?? null);
      if (s && wanted.includes(s.state) && (options.stepNumber === undefined || s.stepNumber === options.stepNumber)) return s;
      if (s && TERMINAL.includes(s.state) && !wanted.includes(s.state)) {
        throw new Error(`run ${runId} ended ${s.state} while waiting for ${wanted.join('|')}: ${last}`);
      }
    } else if (probe?.kind === 'error') {
      last = `${probe.name}: ${probe.message}`;
    } else {
      last = probe ? 'the page has no client yet' : 'the page was navigating';
    }
    if (Date.now() >= deadline) {
      throw new Error(`run ${runId} did not reach ${wanted.join('|')}${options.stepNumber !== undefined ? ` at step ${options.stepNumber}` : ''} within ${timeoutMs} ms; last: ${last}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 25));
  }
}

export interface ReloadPageOptions {
  /** @default 'window.app' */
  clientExpression?: string;
  /** @default 30000 */
  timeoutMs?: number;
}

/**
 * Reloads the page and resolves once its client exists again and has connected to a worker
 * (its `mode` answered). Without `extendedLifetime`, reloading the only tab kills the
 * SharedWorker, and a step it was running is redelivered by the next one (docs/platform.md).
 * @returns the milliseconds from the reload to the connected client
 */
export async function reloadPage(page: Page, options: ReloadPageOptions = {}): Promise<number> {
  const t0 = Date.now();
  const timeoutMs = options.timeoutMs ?? 30_000;
  await page.reload({ waitUntil: 'load', timeout: timeoutMs });
  await waitForClient(page, options.clientExpression ?? DEFAULT_CLIENT, t0 + timeoutMs);
  return Date.now() - t0;
}

/**
 * Closes every page of the session's browser context (the browser itself keeps running). A
 * SharedWorker without `extendedLifetime` dies with its last page, within ~20–40 ms; one with it
 * lives on for 300 s and keeps its locks (docs/platform.md).
 */
export async function closeAllTabs(session: { readonly context: BrowserContext }): Promise<void> {
  for (const page of session.context.pages()) await page.close();
}

/**
 * Crashes the renderer of `page` (CDP `Page.crash`), as an out-of-memory kill would. Pass the
 * tab that **created** the SharedWorker (the first tab that connected): the worker lives in that
 * tab's renderer process and dies with it even while other tabs are connected, and those tabs
 * get no event on their ports (docs/platform.md). Their clients learn it from the worker's alive
 * lock, reject the calls in flight with `Unavailable`, and reconnect to a fresh worker. Crashing
 * any other tab leaves the worker alive. Same as `session.crashPage(page)`.
 */
export function crashCreatorTab(session: Pick<ChromiumSession, 'crashPage'>, page: Page): Promise<void> {
  return session.crashPage(page);
}

/**
 * Moves the clock of every worker of the page client's database that was served with a
 * `MockClock` (the shared worker, or each tab's dedicated worker) forward by `ms`; due steps,
 * leases and timeouts follow. Test control is not part of the client or of the worker's RPC: it
 * goes over the worker's test channel, which only a worker with a MockClock serves.
 * @returns the worker clock's new time
 * @throws `InvalidState` at once when no worker of that database runs on a MockClock;
 *   `InvalidArgument` for an `ms` that is not a finite number >= 0
 */
export async function advanceClock(page: Page, ms: number, clientExpression = DEFAULT_CLIENT): Promise<number> {
  return clockCall(page, 'advance', ms, clientExpression);
}

/** Sets the workers' `MockClock` (moving backwards is allowed: a wall-clock jump), as `advanceClock` does. @returns the new time */
export async function setClock(page: Page, ms: number, clientExpression = DEFAULT_CLIENT): Promise<number> {
  return clockCall(page, 'set', ms, clientExpression);
}

/** How long the workers holding a clock lock may take to answer a clock request. */
const CLOCK_REPLY_MS = 10_000;

async function clockCall(page: Page, op: 'advance' | 'set', ms: number, clientExpression: string): Promise<number> {
  const db = '\u0000db\u0000';
  const template = { lockPrefix: names.clockLock(db, ''), channel: names.testChannel(db) };
  const probe = await page.evaluate(
    async ({ expr, op, ms, template, db, replyMs }) => {
      const client = (0, eval)(expr) as { name?: string; mode?: Promise<unknown> } | undefined;
      if (typeof client?.name !== 'string' || !client.mode) return { kind: 'noClient' } as const;
      const fail = (name: string, message: string) => ({ kind: 'error', name, message }) as const;
      try {
        await client.mode; // connected: a MockClock worker holds its clock lock by now
      } catch (e) {
        return fail((e as Error).name, (e as Error).message);
      }
      const prefix = template.lockPrefix.replace(db, client.name);
      const held = ((await navigator.locks.query()).held ?? []).map((l) => l.name ?? '').filter((n) => n.startsWith(prefix));
      if (held.length === 0) {
        return fail('InvalidState', `no worker of the database '${client.name}' runs on a MockClock: serve it with { clock: new MockClock() } to control its time`);
      }
      const waiting = new Set(held.map((n) => n.slice(prefix.length)));
      const channel = new BroadcastChannel(template.channel.replace(db, client.name));
      const id = crypto.randomUUID();
      try {
        return await new Promise<{ kind: 'ok'; value: number } | ReturnType<typeof fail>>((resolve) => {
          let now: number | undefined;
          const timer = setTimeout(() => resolve(fail('Timeout', `${waiting.size} MockClock worker(s) did not answer within ${replyMs} ms`)), replyMs);
          channel.onmessage = (ev: MessageEvent) => {
            const m = ev.data as { kind?: string; id?: string; instanceId?: string; now?: number; error?: { name: string; message: string } };
            if (m?.kind !== 'clockReply' || m.id !== id || typeof m.instanceId !== 'string') return;
            if (m.error) {
              clearTimeout(timer);
              return resolve(fail(m.error.name, m.error.message));
            }
            waiting.delete(m.instanceId);
            now = Math.max(now ?? -Infinity, m.now ?? -Infinity);
            if (waiting.size > 0) return;
            clearTimeout(timer);
            resolve({ kind: 'ok', value: now });
          };
          channel.postMessage({ kind: 'clock', id, op, ms });
        });
      } finally {
        channel.close();
      }
    },
    { expr: clientExpression, op, ms, template, db, replyMs: CLOCK_REPLY_MS },
  );
  if (probe.kind === 'noClient') throw new Error(`no Stepwise client at ${clientExpression} in ${page.url()}`);
  if (probe.kind === 'error') throw Object.assign(new Error(probe.message), { name: probe.name });
  return probe.value;
}

/**
 * One client call through the page, bounded by `timeoutMs`. Resolves `undefined` when the page
 * is between documents (a reload); a closed page throws.
 */
async function callClient(page: Page, clientExpression: string | undefined, method: string, args: unknown[], timeoutMs: number): Promise<Probe | undefined> {
  try {
    return await page.evaluate(
      async ({ expr, method, args, timeoutMs }): Promise<Probe> => {
        const client = (0, eval)(expr) as Record<string, (...a: unknown[]) => Promise<unknown>> | undefined;
        if (typeof client?.[method] !== 'function') return { kind: 'noClient' };
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          const value = await Promise.race([
            client[method]!(...args),
            new Promise<never>((_, reject) => (timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'Timeout' })), timeoutMs))),
          ]);
          return { kind: 'ok', value };
        } catch (e) {
          return { kind: 'error', name: (e as Error).name, message: (e as Error).message };
        } finally {
          clearTimeout(timer);
        }
      },
      { expr: clientExpression ?? DEFAULT_CLIENT, method, args, timeoutMs },
    );
  } catch (e) {
    if (page.isClosed() || !isNavigationError(e)) throw e;
    return undefined;
  }
}

async function waitForClient(page: Page, clientExpression: string, deadline: number): Promise<void> {
  for (;;) {
    let connected = false;
    try {
      connected = await page.evaluate(async (expr) => {
        const client = (0, eval)(expr) as { mode?: Promise<unknown> } | undefined;
        if (!client) return false;
        await client.mode; // the first hello: the client is connected
        return true;
      }, clientExpression);
    } catch (e) {
      if (page.isClosed() || (!isNavigationError(e) && Date.now() >= deadline)) throw e;
    }
    if (connected) return;
    if (Date.now() >= deadline) throw new Error(`no connected Stepwise client at ${clientExpression} in ${page.url()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Playwright's errors for an evaluate cut short by a navigation of the page. */
function isNavigationError(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /Execution context was destroyed|Cannot find context with specified id|navigat/i.test(m);
}
