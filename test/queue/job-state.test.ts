/** Every job state carries exactly its own sparse index keys, through every transition. */
import { describe, expect, it } from 'vitest';
import { enterQueue, returnUnspent, revive, toClaimed, toDead, toDone, toWaiting } from '../../src/queue/job-state.ts';
import type { JobRecord, JobState } from '../../src/store/db.ts';

const KEYS: Record<JobState, string[]> = { pending: ['ready'], scheduled: ['due'], claimed: ['leaseUntil'], done: ['purgeAt'], dead: ['purgeAt'] };
const ALL = ['ready', 'due', 'leaseUntil', 'purgeAt'] as const;

function job(): JobRecord {
  return {
    id: 'j1', queue: 'q', state: 'pending', payload: null, headers: {}, priority: 1000, runAt: 0, enqueuedAt: 0, attempts: 0, maxAttempts: 3,
    dedupKey: 'k', cancelRequested: false, lastError: null, claimedAt: null, owner: null, claimToken: null, completedAt: null, failedAt: null,
    wakePayload: null, wokenAt: null, historyCount: 0,
  };
}

function expectKeysOf(j: JobRecord): void {
  const present = ALL.filter((k) => j[k] !== undefined);
  expect(present).toEqual(KEYS[j.state]);
  expect(j.owner !== null).toBe(j.state === 'claimed');
  expect(j.claimToken !== null).toBe(j.state === 'claimed');
}

describe('the job state machine', () => {
  it('keeps each state in exactly its own indexes along every transition', () => {
    const j = job();
    enterQueue(j, 50, 100);
    expectKeysOf(j);
    expect(j.dedup).toEqual(['q', 'k']);
    toClaimed(j, 100, 'me', 1000);
    expectKeysOf(j);
    expect(j.dedup).toBeUndefined(); // a delivered job no longer absorbs enqueues of its key
    toWaiting(j, 500, 100); // a retry after backoff
    expectKeysOf(j);
    expect(j.state).toBe('scheduled');
    toWaiting(j, 500, 500); // promotion
    expectKeysOf(j);
    toClaimed(j, 500, 'me', 1000);
    returnUnspent(j, 500, 600);
    expectKeysOf(j);
    expect(j.attempts).toBe(1);
    toClaimed(j, 600, 'me', 1000);
    toDead(j, 'boom', 700, 10_000);
    expectKeysOf(j);
    revive(j, 800);
    expectKeysOf(j);
    expect([j.state, j.attempts, j.lastError]).toEqual(['pending', 0, null]);
    toClaimed(j, 800, 'me', 1000);
    toDone(j, 900, 5000);
    expectKeysOf(j);
  });

  it('files a job with a dedup key under it only while it has never been delivered', () => {
    const j = job();
    enterQueue(j, 100, 100);
    toDead(j, 'cancelled before delivery', 100, 1);
    expect(j.dedup).toBeUndefined();
    revive(j, 200);
    expect(j.dedup).toBeUndefined();
  });
});
