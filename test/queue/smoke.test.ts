import { describe, expect, it } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import { Queue } from '../../src/queue/queue.ts';
import { freshStoreOptions } from '../support/idb.ts';
import { stats } from '../../src/inspect.ts';

describe('Queue', () => {
  it('enqueues, claims and acknowledges a job', async () => {
    const clock = new MockClock(1_700_000_000_000);
    const q = await Queue.open({ ...(await freshStoreOptions()), clock });
    const { id } = await q.enqueue('email', 'hello');
    const c = await q.claim('email');
    expect(c?.job.id).toBe(id);
    expect(c?.job.attempts).toBe(1);
    await q.ack(c!);
    expect(await stats(q, 'email')).toEqual({ pending: 0, scheduled: 0, claimed: 0, done: 1, dead: 0 });
    q.close();
  });
});
