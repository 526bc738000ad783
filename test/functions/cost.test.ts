/**
 * Durable functions: what replaying costs in reads. Every delivery replays the function from
 * the top, so a journal read per delivery would make an N-step run read O(N²) records; the
 * journal cache and the one range read after a restart keep it O(N).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { workflow } from '../../src/functions/definition.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import { countMemoReadsFake, fresh, waitFor } from './support.ts';

const N = 200;

function longRun(stopAt?: { step: number; runtime?: Runtime }) {
  return workflow(async (run) => {
    let total = 0;
    for (let i = 0; i < N; i++) {
      total += await run.step(`add-${i}`, async (step) => {
        if (stopAt && step.stepNumber === stopAt.step) void stopAt.runtime!.stop({ drain: false });
        return i;
      });
    }
    return total;
  });
}

let counter: Awaited<ReturnType<typeof countMemoReadsFake>> | undefined;
afterEach(() => {
  counter?.restore();
  counter = undefined;
});

describe('durable functions: replay cost', { timeout: 120_000 }, () => {
  it(`reads O(N) journal records for a ${N}-step run, not O(N²)`, async () => {
    const { runtime } = await fresh({ workflows: { long: longRun() } });
    counter = await countMemoReadsFake();
    const { runId } = await runtime.submit({ workflow: 'long', input: null });
    expect(await runtime.wait(runId, { timeoutMs: 600_000 })).toMatchObject({ status: 'succeeded', result: (N * (N - 1)) / 2, finalStep: N - 1 });
    // One read of the (empty) journal at step 0, then one existence check per record written
    // (the journal never overwrites: the input and N step records), all finding nothing.
    // Reading the journal at every delivery would read N²/2 ≈ 20,000 records.
    expect(counter.records).toBe(0);
    expect(counter.calls).toBe(N + 2);
  });

  it('reads the journal of a run taken over after a restart with one range read', async () => {
    const stopAt: { step: number; runtime?: Runtime } = { step: N / 2 };
    const f = await fresh({ workflows: { long: longRun(stopAt) } });
    stopAt.runtime = f.runtime;
    const { runId } = await f.runtime.submit({ workflow: 'long', input: null });
    await waitFor(async () => (await f.runtime.status(runId))?.stepNumber === N / 2 + 1, 10_000, 'the first runtime stopped');
    counter = await countMemoReadsFake();
    const next = await f.reopen();
    await next.start();
    expect(await next.wait(runId, { timeoutMs: 600_000 })).toMatchObject({ status: 'succeeded', result: (N * (N - 1)) / 2 });
    // The input and the first N/2 + 1 step records, read once; then existence checks of the writes.
    expect(counter.records).toBe(N / 2 + 2);
    expect(counter.calls).toBeLessThanOrEqual(1 + N / 2);
  });
});
