/**
 * What a page learns when a runner returns something that is not an `Outcome`: the run fails
 * with a message that says what to return instead.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import type { StepRunner } from '../../src/runtime/types.ts';
import { freshStoreOptions } from '../support/idb.ts';
import { FakeOrigin, serving } from './fake-origin.ts';

let origin: FakeOrigin | undefined;
afterEach(async () => {
  await origin?.close();
  origin = undefined;
});

describe('a runner that returns no Outcome', () => {
  it('fails the run with a message naming the Outcome constructors to return', async () => {
    const db = await freshStoreOptions();
    const plain = (async () => ({ result: 'forgot Outcome.succeed' })) as unknown as StepRunner;
    origin = new FakeOrigin(serving({ ...db, workflows: { plain }, clock: new MockClock() }));
    const client = origin.connect({ name: db.name });
    await client.submit({ workflow: 'plain', input: null, runId: 'r' });
    const outcome = await client.wait('r');
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain('the runner returned an invalid outcome: a plain object: return Outcome.succeed(result), Outcome.next(payload)');
    expect(outcome.error).not.toContain('unknown kind undefined');
  });
});
