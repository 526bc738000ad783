/**
 * The queue under test: enqueue→claim→ack no-op cycles through the public `Queue` API, on a
 * fresh database per cell, one lane or many lanes sharing one `Queue` (so its committer can
 * group concurrent writes into shared transactions).
 */
import { Queue } from '../src/queue/queue.ts';
import { PAD, deleteDatabase, freshName, runLoop, type LoopOutcome } from './loop.ts';
import type { CellCommand } from './protocol.ts';

export const QUEUE = 'bench';

export interface QueueLoopOutcome extends LoopOutcome {
  enqueue: number[];
  claim: number[];
  ack: number[];
  emptyClaims: number;
}

/** One cycle; pushes each step's latency (ms) when `into` is given. */
export async function cycle(q: Queue, n: number, into?: QueueLoopOutcome): Promise<boolean> {
  const a = performance.now();
  await q.enqueue(QUEUE, { n, pad: PAD });
  const b = performance.now();
  const c = await q.claim(QUEUE);
  const d = performance.now();
  if (!c) {
    if (into) into.emptyClaims++;
    return false;
  }
  await q.ack(c);
  const e = performance.now();
  if (into) {
    into.enqueue.push(b - a);
    into.claim.push(d - b);
    into.ack.push(e - d);
  }
  return true;
}

export async function queueCell(cmd: CellCommand, onTimedStart?: () => void): Promise<QueueLoopOutcome> {
  const name = freshName('bench-queue');
  const q = await Queue.open({ name });
  const out: QueueLoopOutcome = { ops: 0, elapsedMs: 0, samples: [], enqueue: [], claim: [], ack: [], emptyClaims: 0 };
  let recording = false;
  let n = 0;
  try {
    const loop = await runLoop(
      cmd,
      async () => {
        await cycle(q, n++, recording ? out : undefined);
      },
      () => {
        recording = true;
        onTimedStart?.();
      },
    );
    return { ...out, ...loop };
  } finally {
    q.close();
    await deleteDatabase(name);
  }
}

/**
 * A workflow-shaped chain on one lane: each step claims a job and acks it with the next job as
 * a follow-up enqueue, so a step costs two transactions (claim; ack+enqueue) instead of three.
 */
export async function queueChainCell(cmd: CellCommand, onTimedStart?: () => void): Promise<QueueLoopOutcome> {
  const name = freshName('bench-chain');
  const q = await Queue.open({ name });
  const out: QueueLoopOutcome = { ops: 0, elapsedMs: 0, samples: [], enqueue: [], claim: [], ack: [], emptyClaims: 0 };
  let recording = false;
  let n = 0;
  try {
    for (let lane = 0; lane < Math.max(1, cmd.lanes); lane++) await q.enqueue(QUEUE, { n: n++, pad: PAD });
    const loop = await runLoop(
      cmd,
      async () => {
        const a = performance.now();
        const c = await q.claim(QUEUE);
        const b = performance.now();
        if (!c) {
          if (recording) out.emptyClaims++;
          await q.enqueue(QUEUE, { n: n++, pad: PAD });
          return;
        }
        await q.ack(c, { enqueue: [{ queue: QUEUE, payload: { n: n++, pad: PAD } }] });
        if (recording) {
          out.claim.push(b - a);
          out.ack.push(performance.now() - b);
        }
      },
      () => {
        recording = true;
        onTimedStart?.();
      },
    );
    return { ...out, ...loop };
  } finally {
    q.close();
    await deleteDatabase(name);
  }
}
