/**
 * What `status()` reports through the client for a run waiting for an event, a run whose event
 * was delivered, and a finished run: the fields mean what `RunStatus` documents.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import { Outcome } from '../../src/core/outcome.ts';
import type { Step } from '../../src/runtime/types.ts';
import { deferred, waitFor } from '../runtime/harness.ts';
import { freshStoreOptions } from '../support/idb.ts';
import { FakeOrigin, serving } from './fake-origin.ts';

let origin: FakeOrigin | undefined;
afterEach(async () => {
  await origin?.close();
  origin = undefined;
});

describe('status() of waiting and finished runs', () => {
  it('reports the step that receives the event while waiting, drops the event key once it is delivered, and counts the final step’s attempt', async () => {
    const db = await freshStoreOptions();
    const gate = deferred<void>();
    const approve = async (step: Step) => {
      if (step.stepNumber === 0) return Outcome.next('draft');
      if (step.stepNumber === 1) return Outcome.waitForEvent('approve:r1', step.payload);
      await gate.promise;
      return Outcome.succeed(step.event?.payload ?? null);
    };
    origin = new FakeOrigin(serving({ ...db, workflows: { approve }, clock: new MockClock() }));
    const client = origin.connect({ name: db.name });
    await client.submit({ workflow: 'approve', input: null, runId: 'r1' });
    await waitFor(async () => (await client.status('r1'))?.state === 'waiting', 5000, 'the wait');
    expect(await client.status('r1')).toMatchObject({ state: 'waiting', stepNumber: 2, attempts: 0, eventKey: 'approve:r1' });

    expect(await client.sendEvent('approve:r1', 'yes')).toBe('delivered');
    await waitFor(async () => (await client.status('r1'))?.state === 'running', 5000, 'the step with the event');
    const running = await client.status('r1');
    expect(running).toMatchObject({ state: 'running', stepNumber: 2, attempts: 1 });
    expect(running).not.toHaveProperty('eventKey');

    gate.resolve();
    await expect(client.wait('r1')).resolves.toMatchObject({ status: 'succeeded', result: 'yes', finalStep: 2 });
    const done = await client.status('r1');
    expect(done).toMatchObject({ state: 'succeeded', stepNumber: 2, attempts: 1 });
    expect(done).not.toHaveProperty('eventKey');
  });

  it('reports the deliveries of the final step of a run that failed after retries', async () => {
    const db = await freshStoreOptions();
    origin = new FakeOrigin(
      serving({
        ...db,
        workflows: { flaky: async () => { throw new Error('down'); } },
        retry: { maxAttempts: 2, baseDelayMs: 0, jitter: 0 },
        clock: new MockClock(),
      }),
    );
    const client = origin.connect({ name: db.name });
    await client.submit({ workflow: 'flaky', input: null, runId: 'r2' });
    await expect(client.wait('r2')).resolves.toMatchObject({ status: 'failed' });
    expect(await client.status('r2')).toMatchObject({ state: 'failed', stepNumber: 0, attempts: 2 });
  });
});
