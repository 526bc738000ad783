/**
 * Coordination between runtime instances of one database (a SharedWorker and per-tab workers,
 * or two builds side by side during a deploy), over a BroadcastChannel: an enqueue anywhere
 * wakes the executor; a cancel request reaches the instance running the step, once the stored
 * job confirms it. Messages that arrive are re-announced locally only, never rebroadcast (no
 * echo between instances).
 */
import type { QueueEngine } from '../queue/engine.ts';
import { names, type PeerMessage } from '../rpc/protocol.ts';
import type { JobRecord } from '../store/db.ts';

export function linkPeers(queue: QueueEngine, db: string, instanceId: string, queueName: string): () => void {
  if (typeof BroadcastChannel === 'undefined') return () => undefined;
  const channel = new BroadcastChannel(names.peerChannel(db));
  let relaying = false;
  const off = queue.on((e) => {
    if (relaying) return;
    if (e.type === 'enqueued') channel.postMessage({ kind: 'enqueued', from: instanceId } satisfies PeerMessage);
    if (e.type === 'cancelRequested') channel.postMessage({ kind: 'cancelRequested', jobId: e.jobId, from: instanceId } satisfies PeerMessage);
  });
  channel.onmessage = (ev: MessageEvent<PeerMessage>) => {
    const m = ev.data;
    if (typeof m !== 'object' || m === null || m.from === instanceId) return;
    relaying = true;
    try {
      if (m.kind === 'enqueued') queue.announce(queueName);
      else if (m.kind === 'cancelRequested' && typeof m.jobId === 'string') void relayCancel(m.jobId);
    } finally {
      relaying = false;
    }
  };
  // Any same-origin context can post on the channel: a cancel message only reaches the step if
  // the cancel is stored (the sender commits it before posting), so a stray or forged one aborts nothing.
  const relayCancel = async (jobId: string) => {
    const job = await queue.store.read((t) => t.get<JobRecord>('jobs', jobId), ['jobs']).catch(() => undefined);
    if (!job?.cancelRequested) return;
    relaying = true;
    try {
      queue.announceCancel(jobId);
    } finally {
      relaying = false;
    }
  };
  return () => {
    off();
    channel.close();
  };
}
