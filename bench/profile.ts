/**
 * Where one cycle's time goes: runs single-lane ops with the request profiler on and reports,
 * per op kind, its transactions, its requests, and a split of its mean latency into
 * request phase (transaction created → last request succeeded), commit phase (→ `complete`)
 * and time outside any transaction. Trimmed means, not medians: the SharedWorker clock steps by
 * 0.1 ms (see docs/platform.md), so only averages over many ops resolve sub-step costs, and the
 * trimming keeps a few compaction stalls from dominating them.
 */
import { Queue } from '../src/queue/queue.ts';
import { openDatabase } from '../src/store/open.ts';
import { installProfiler, record, type TxRecord } from './instrument.ts';
import { PAD, deleteDatabase, freshName } from './loop.ts';
import type { OpProfile, ProfileResult } from './protocol.ts';
import { QUEUE } from './queue-cells.ts';
import { openPlain, putTx, rawCycle, rawCycleLean } from './raw-cells.ts';

const WARMUP = 30;

interface Sample {
  totalMs: number;
  txs: TxRecord[];
}

/** The middle 80% of samples by total time: drops LevelDB compaction stalls and GC pauses, keeps phases additive. */
function trimmed(samples: Sample[]): Sample[] {
  const sorted = [...samples].sort((a, b) => a.totalMs - b.totalMs);
  const cut = Math.floor(sorted.length * 0.1);
  return sorted.slice(cut, sorted.length - cut);
}

const txLife = (t: TxRecord) => t.completed - t.created;
// A transaction with no request (none here) has no lastSuccess: all of it counts as commit.
const txRequests = (t: TxRecord) => (Number.isNaN(t.lastSuccess) ? 0 : t.lastSuccess - t.created);

function requestCounts(samples: Sample[], per: number): Record<string, number> {
  const requests: Record<string, number> = {};
  for (const s of samples) for (const t of s.txs) for (const r of t.requests) requests[r] = (requests[r] ?? 0) + 1 / per;
  for (const k of Object.keys(requests)) requests[k] = Math.round(requests[k]! * 100) / 100;
  return requests;
}

function summarizeOp(op: string, all: Sample[]): OpProfile {
  const samples = trimmed(all);
  const n = samples.length;
  const mean = (f: (s: Sample) => number) => samples.reduce((a, s) => a + f(s), 0) / n;
  const first = samples[0]?.txs[0];
  const sum = (s: Sample, f: (t: TxRecord) => number) => s.txs.reduce((a, t) => a + f(t), 0);
  return {
    op,
    count: n,
    shape: {
      transactions: mean((s) => s.txs.length),
      scope: first?.scope ?? [],
      mode: first?.mode ?? '',
      durability: first?.durability ?? '',
      requests: requestCounts(samples, n),
    },
    totalMs: mean((s) => s.totalMs),
    requestPhaseMs: mean((s) => sum(s, txRequests)),
    commitPhaseMs: mean((s) => sum(s, txLife) - sum(s, txRequests)),
    outsideTxMs: mean((s) => s.totalMs - sum(s, txLife)),
  };
}

/**
 * 16 lanes for `cycles` cycles each, recorded as one op; summarised per group-commit
 * transaction (not trimmed: every transaction of the window is one sample).
 */
async function profileLanes(q: Queue, lanes: number, cycles: number): Promise<OpProfile> {
  let n = 0;
  const s = await record(() =>
    Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let i = 0; i < cycles; i++) {
          await q.enqueue(QUEUE, { n: n++, pad: PAD });
          const c = await q.claim(QUEUE);
          if (c) await q.ack(c);
        }
      }),
    ),
  );
  const txs = s.txs;
  const mean = (f: (t: TxRecord) => number) => txs.reduce((a, t) => a + f(t), 0) / txs.length;
  return {
    op: `queue ${lanes} lanes: per group-commit txn (${((lanes * cycles * 3) / txs.length).toFixed(1)} bodies/txn, ${((s.totalMs / (lanes * cycles)) * 1000).toFixed(0)} µs/cycle)`,
    count: txs.length,
    shape: { transactions: 1, scope: txs[0]?.scope ?? [], mode: txs[0]?.mode ?? '', durability: txs[0]?.durability ?? '', requests: requestCounts([s], txs.length) },
    totalMs: mean(txLife),
    requestPhaseMs: mean(txRequests),
    commitPhaseMs: mean((t) => txLife(t) - txRequests(t)),
    // Transactions run back to back; the gap between one's complete and the next's creation.
    outsideTxMs: (s.totalMs - txs.reduce((a, t) => a + txLife(t), 0)) / txs.length,
  };
}

export async function profileCycles(cycles: number): Promise<ProfileResult> {
  const rawName = freshName('bench-prof-raw');
  const cycleName = freshName('bench-prof-rawcycle');
  const queueName = freshName('bench-prof-queue');
  const plain = await openPlain(rawName);
  const cycleDb = await openDatabase(cycleName);
  const q = await Queue.open({ name: queueName });
  let id = 0;
  const rawPut = () => putTx(plain, id++, 1);
  const replica = () => rawCycle(cycleDb, `job-${(id++).toString().padStart(9, '0')}`, QUEUE);
  const lean = () => rawCycleLean(cycleDb, `job-${(id++).toString().padStart(9, '0')}`, QUEUE);
  for (let i = 0; i < WARMUP; i++) {
    await rawPut();
    await replica();
    await lean();
    await q.enqueue(QUEUE, { pad: PAD });
    const c = await q.claim(QUEUE);
    if (c) await q.ack(c);
  }
  const stop = installProfiler();
  const put: Sample[] = [];
  const rep: Sample[] = [];
  const leanRep: Sample[] = [];
  const enq: Sample[] = [];
  const clm: Sample[] = [];
  const ack: Sample[] = [];
  const whole: Sample[] = [];
  let lanes: OpProfile | undefined;
  try {
    for (let i = 0; i < cycles; i++) {
      put.push(await record(rawPut));
      rep.push(await record(replica));
      leanRep.push(await record(lean));
      const e = await record(() => q.enqueue(QUEUE, { n: i, pad: PAD }));
      let claim: Awaited<ReturnType<Queue['claim']>>;
      const c = await record(async () => {
        claim = await q.claim(QUEUE);
      });
      const a = await record(() => (claim ? q.ack(claim) : Promise.resolve()));
      enq.push(e);
      clm.push(c);
      ack.push(a);
      whole.push({ totalMs: e.totalMs + c.totalMs + a.totalMs, txs: [...e.txs, ...c.txs, ...a.txs] });
    }
    lanes = await profileLanes(q, 16, 20);
  } finally {
    stop();
    q.close();
    cycleDb.close();
    plain.close();
    await Promise.all([rawName, cycleName, queueName].map(deleteDatabase));
  }
  return {
    cycles,
    ops: [
      summarizeOp('raw put (1 put/txn)', put),
      summarizeOp('raw replica of the queue cycle (3 txns)', rep),
      summarizeOp('raw replica, reads issued together', leanRep),
      summarizeOp('queue.enqueue', enq),
      summarizeOp('queue.claim', clm),
      summarizeOp('queue.ack', ack),
      summarizeOp('queue cycle (enqueue+claim+ack)', whole),
      ...(lanes ? [lanes] : []),
    ],
    note: 'means in ms over the middle 80% of ops by total time (the group-commit row: all its transactions); requestPhase = txn created → last request success; commitPhase = → complete; outsideTx = call time not inside any of its transactions (validation, committer queueing, promise hops). Profiler wrappers add a little to every request.',
  };
}
