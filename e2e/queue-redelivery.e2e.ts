/**
 * A claim abandoned mid-step (the step's tab crashed, closed, or the whole browser was killed)
 * is not lost: after a relaunch on the same profile, owner recovery returns it to pending and
 * the next claim delivers the same job with one more attempt. In the browser runtime a Web Lock
 * per owner will answer "is this owner alive?"; here the test says "only the new queue is".
 */
import { describe, expect, it } from 'vitest';
import type {} from './fixtures/queue.page.ts';
import { openFixture, useE2eServer } from './support/harness.ts';

/** This file's port range: 27320–27329. */
const PORT = 27320;
const DB = 'redelivery';
const QUEUE = 'steps';

type Abandon = 'crash' | 'close' | 'sigkill';

describe('Queue claim abandoned mid-step', () => {
  const { browsers, origin } = useE2eServer(PORT);

  async function abandonAndRecover(how: Abandon): Promise<void> {
    const url = `${origin()}/e2e/fixtures/queue.html`;
    const first = await browsers.launch();
    const page = await openFixture(first, url);
    const firstOwner = await page.evaluate((db) => window.queueFixture.open(db), DB);
    const id = await page.evaluate((q) => window.queueFixture.enqueue(q, 'summarise chapter 1'), QUEUE);
    const claimed = await page.evaluate((q) => window.queueFixture.claim(q), QUEUE);
    expect(claimed).toEqual({ id, attempts: 1, owner: firstOwner });

    // The step "runs" now; it never settles.
    if (how === 'crash') {
      await first.crashPage(page);
      await first.close();
    } else if (how === 'close') {
      await page.close();
      await first.close();
    } else {
      await first.kill();
    }

    const second = await browsers.launch();
    const again = await openFixture(second, url);
    const owner = await again.evaluate((db) => window.queueFixture.open(db), DB);
    expect(owner).not.toBe(firstOwner);
    expect(await again.evaluate((q) => window.queueFixture.stats(q), QUEUE)).toMatchObject({ pending: 0, claimed: 1 });
    // The time lease (30 s by default) has not run out, so only owner recovery can free the job.
    expect(await again.evaluate((q) => window.queueFixture.claim(q), QUEUE)).toBeNull();

    const recovered = await again.evaluate(() => window.queueFixture.recoverOthers());
    expect(recovered).toEqual({ requeued: [id], deadLettered: [], skipped: 0 });
    const redelivered = await again.evaluate((q) => window.queueFixture.claim(q), QUEUE);
    expect(redelivered).toEqual({ id, attempts: 2, owner });
  }

  it('is redelivered with attempts + 1 after its page crashed and the browser relaunched', () => abandonAndRecover('crash'));

  it('is redelivered with attempts + 1 after its page closed and the browser relaunched', () => abandonAndRecover('close'));

  it('is redelivered with attempts + 1 after the browser was SIGKILLed mid-step and relaunched', () => abandonAndRecover('sigkill'));
});
