/**
 * An IndexedDB read-write transaction is all-or-nothing, whatever kills it (see docs/platform.md).
 * Stepwise's "one state change = one transaction" rests on this, so it is checked here on the
 * real engine, through src/store, in a page and in a SharedWorker, for a renderer crash and a
 * browser SIGKILL, each followed by a relaunch on the same on-disk profile.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { StoreOps } from './fixtures/store-ops.ts';
import type {} from './fixtures/store.page.ts';
import { openFixture, pollUntil, useE2eServer } from './support/harness.ts';

/** This file's port range: 27310–27319. Fixed, because the IndexedDB origin includes the port. */
const PORT = 27310;
const DB = 'atomicity';
const SEEDED = 1_000;
/** Puts the doomed transaction must have had acknowledged before the kill (as in the measurement behind docs/platform.md). */
const BEFORE_KILL = 10_000;

type Host = 'page' | 'worker';

/** Calls a store operation in the page itself or in the SharedWorker the page started. */
function call<K extends keyof StoreOps>(page: Page, host: Host, op: K, ...args: Parameters<StoreOps[K]>): Promise<Awaited<ReturnType<StoreOps[K]>>> {
  return page.evaluate(
    ([h, o, a]) => {
      const ops = h === 'page' ? window.storeFixture.page : window.storeFixture.worker();
      return (ops[o] as (...x: unknown[]) => Promise<unknown>)(...a);
    },
    [host, op, args] as const,
  ) as Promise<Awaited<ReturnType<StoreOps[K]>>>;
}

describe('an IndexedDB transaction killed midway', () => {
  const { browsers, origin } = useE2eServer(PORT);

  async function killMidTransaction(host: Host, kill: 'crash' | 'sigkill'): Promise<void> {
    const first = await browsers.launch();
    const page = await openFixture(first, `${origin()}/e2e/fixtures/store.html`);
    await call(page, host, 'seed', DB, SEEDED);
    await call(page, host, 'startInflight', DB);
    const before = await pollUntil(
      () => call(page, host, 'progress'),
      (p) => p.acknowledged >= BEFORE_KILL || p.settled !== 'no',
    );
    // The kill must land inside the transaction, or the test proves nothing.
    expect(before.settled).toBe('no');

    if (kill === 'crash') {
      await first.crashPage(page);
      // Still in the same browser: the abort happened at the crash, not at the shutdown below.
      // (Were the transaction alive, this read would queue behind it.)
      const survivor = await openFixture(first, `${origin()}/e2e/fixtures/store.html`);
      expect(await call(survivor, host, 'count', DB, 'inflight:')).toBe(0);
      await first.close();
    } else {
      await first.kill();
    }

    const second = await browsers.launch();
    const after = await openFixture(second, `${origin()}/e2e/fixtures/store.html`);
    expect(await call(after, host, 'count', DB, 'inflight:')).toBe(0);
    expect(await call(after, host, 'count', DB, 'committed:')).toBe(SEEDED);
  }

  it('leaves none of its records when the page running it crashes, and earlier commits survive', () =>
    killMidTransaction('page', 'crash'));

  it('leaves none of its records when the browser is SIGKILLed under a page, and earlier commits survive', () =>
    killMidTransaction('page', 'sigkill'));

  it('leaves none of its records when a SharedWorker running it dies with its crashed tab, and earlier commits survive', () =>
    killMidTransaction('worker', 'crash'));

  it('leaves none of its records when the browser is SIGKILLed under a SharedWorker, and earlier commits survive', () =>
    killMidTransaction('worker', 'sigkill'));
});
