/**
 * Coordination between instances over a BroadcastChannel (src/host/peers.ts): a cancel message
 * reaches a running step only when the cancel is stored; any same-origin context can post on
 * the channel, so a stray or forged message must abort nothing.
 */
import { describe, expect, it } from 'vitest';
import { linkPeers } from '../../src/host/peers.ts';
import { Outcome } from '../../src/core/outcome.ts';
import { names } from '../../src/rpc/protocol.ts';
import { gatedRunner, settle, waitFor } from '../runtime/harness.ts';
import { fresh } from '../runtime/lifecycle.ts';
import { jobsOfRun } from '../runtime/peek.ts';
import { engineOf } from '../support/internals.ts';

const QUEUE = 'workflow-steps';

describe('peers', () => {
  it('ignores a cancel message for a step whose cancel is not stored, and the run succeeds', async () => {
    const runner = gatedRunner(() => Outcome.succeed('kept'));
    const { runtime, db } = await fresh({ workflows: { wf: runner } });
    const unlink = linkPeers(engineOf(runtime), db.name, 'me', QUEUE);
    try {
      await runtime.submit({ workflow: 'wf', runId: 'r', input: 'x' });
      const step = await runner.entered();
      const [job] = await jobsOfRun(runtime, 'r');
      const forger = new BroadcastChannel(names.peerChannel(db.name));
      forger.postMessage({ kind: 'cancelRequested', jobId: job!.id, from: 'someone' });
      forger.close();
      await settle(50);
      expect(step.signal.aborted).toBe(false);
      runner.release();
      await expect(runtime.wait('r')).resolves.toMatchObject({ status: 'succeeded', result: 'kept' });
    } finally {
      unlink();
    }
  });

  it('aborts the running step when another instance stored the cancel', async () => {
    const runner = gatedRunner(() => Outcome.succeed('late'));
    const { runtime, db, reopen } = await fresh({ workflows: { wf: runner } });
    const other = await reopen();
    const unlinks = [linkPeers(engineOf(runtime), db.name, 'executor', QUEUE), linkPeers(engineOf(other), db.name, 'other', QUEUE)];
    try {
      await runtime.submit({ workflow: 'wf', runId: 'r', input: 'x' });
      const step = await runner.entered();
      expect(await other.cancel('r')).toBe(true);
      await waitFor(() => step.signal.aborted, 2000, 'the step to be aborted');
      runner.release();
      await expect(runtime.wait('r')).resolves.toMatchObject({ status: 'cancelled' });
    } finally {
      for (const u of unlinks) u();
    }
  });
});
