/**
 * Bad input gets a named error and writes nothing: for every public `Queue` method, wrong
 * types, values that are not JSON, oversized values, out-of-range numbers, bad names and ids.
 * Each case runs against a database holding jobs in every state and some KV entries, and the
 * whole database is compared before and after the call.
 */
import { describe, expect, it } from 'vitest';
import type { WorkflowErrorName } from '../../src/core/errors.ts';
import { Queue } from '../../src/queue/queue.ts';
import type { Claim } from '../../src/queue/types.ts';
import { dump } from '../support/dump.ts';
import { freshStoreOptions } from '../support/idb.ts';
import { freshQueue } from '../support/queue.ts';
import { getJob, jobHistory, stats } from '../../src/inspect.ts';
import { engineOf, storeOf } from '../support/internals.ts';

/** The per-queue payload limit of the fixture: small, so "oversized" is cheap. */
const MAX = 1024;
const BIG = 'x'.repeat(MAX);

interface Fixture {
  q: Queue;
  pending: string;
  scheduled: string;
  claimed: Claim;
  dead: string;
}

async function fixture(): Promise<Fixture> {
  const { q } = await freshQueue({ defaults: { maxPayloadBytes: MAX } });
  const pending = (await q.enqueue('work', 'p', { dedupKey: 'dk', kvPut: { 'runs/1': 'active' } })).id;
  const scheduled = (await q.enqueue('work', 's', { delayMs: 60_000 })).id;
  await q.enqueue('busy', 'c');
  const claimed = (await q.claim('busy'))!;
  await q.enqueue('graveyard', 'd');
  const doomed = (await q.claim('graveyard'))!;
  await q.deadLetter(doomed, 'x');
  await q.kv.put('config', { v: 1 });
  return { q, pending, scheduled, claimed, dead: doomed.job.id };
}

const cycle = (): unknown => {
  const o: Record<string, unknown> = {};
  o.self = o;
  return o;
};
class Instance {
  x = 1;
}

/** Values that are not JSON, each with the error `checkJson` gives. */
const NOT_JSON: [string, () => unknown][] = [
  ['undefined', () => undefined],
  ['a function', () => () => 1],
  ['NaN', () => NaN],
  ['Infinity', () => Infinity],
  ['a bigint', () => 1n],
  ['a symbol', () => Symbol('s')],
  ['a Date', () => new Date(0)],
  ['a Map', () => new Map([[1, 2]])],
  ['a class instance', () => new Instance()],
  ['a cycle', cycle],
  ['a sparse array', () => [1, , 2]], // eslint-disable-line no-sparse-arrays
  ['an undefined property', () => ({ a: undefined })],
];

const BAD_QUEUE_NAMES: [string, unknown][] = [
  ['an empty queue name', ''],
  ['a 256-character queue name', 'q'.repeat(256)],
  ['a numeric queue name', 42],
  ['an undefined queue name', undefined],
  ['a null queue name', null],
];

const BAD_JOB_IDS: [string, unknown][] = [
  ['an empty id', ''],
  ['an id with a colon', 'has:colon'],
  ['an id with a space', 'has space'],
  ['an id with a slash', 'has/slash'],
  ['a 129-character id', 'a'.repeat(129)],
  ['a numeric id', 42],
];

type Call = (f: Fixture) => unknown;
type Case = [label: string, call: Call, error: WorkflowErrorName];

/* eslint-disable @typescript-eslint/no-explicit-any -- wrong types are the point here */
const any = (v: unknown): any => v;

const followUp = (f: Record<string, unknown>) => ({ enqueue: [any(f)] });
const badEffects: [string, unknown, WorkflowErrorName][] = [
  ['null effects', null, 'InvalidArgument'],
  ['string effects', 'effects', 'InvalidArgument'],
  ['effects.enqueue not an array', { enqueue: 5 }, 'InvalidArgument'],
  ['effects.enqueue a string', { enqueue: 'next' }, 'InvalidArgument'],
  ['a null follow-up', { enqueue: [null] }, 'InvalidArgument'],
  ['a follow-up with a bad queue', followUp({ queue: '', payload: 1 }), 'InvalidQueueName'],
  ['a follow-up with a function payload', followUp({ queue: 'next', payload: () => 1 }), 'InvalidPayload'],
  ['a follow-up with an oversized payload', followUp({ queue: 'next', payload: BIG }), 'PayloadTooLarge'],
  ['a follow-up with a bad id', followUp({ queue: 'next', payload: 1, id: 'a b' }), 'InvalidJobId'],
  ['a follow-up with a negative delay', followUp({ queue: 'next', payload: 1, delayMs: -1 }), 'InvalidArgument'],
  ['a follow-up with an empty dedup key', followUp({ queue: 'next', payload: 1, dedupKey: '' }), 'InvalidArgument'],
  ['effects.kvPut with a NaN value', { kvPut: { k: NaN } }, 'InvalidPayload'],
  ['effects.kvPut with an oversized value', { kvPut: { k: BIG } }, 'PayloadTooLarge'],
  ['effects.kvPut with an empty key', { kvPut: { '': 1 } }, 'InvalidArgument'],
  ['effects.kvPut not an object', { kvPut: 'k' }, 'InvalidArgument'],
  ['effects.kvDelete not an array', { kvDelete: 'k' }, 'InvalidArgument'],
  ['effects.kvDelete with an empty key', { kvDelete: [''] }, 'InvalidArgument'],
  ['effects.apply not a function', { apply: 5 }, 'InvalidArgument'],
];

const cases: Case[] = [
  // ---- enqueue
  ...BAD_QUEUE_NAMES.map(([l, name]): Case => [`enqueue: ${l}`, (f) => f.q.enqueue(any(name), 1), 'InvalidQueueName']),
  ...NOT_JSON.map(([l, v]): Case => [`enqueue: a payload that is ${l}`, (f) => f.q.enqueue('work', any(v())), 'InvalidPayload']),
  ['enqueue: an oversized payload', (f) => f.q.enqueue('work', BIG), 'PayloadTooLarge'],
  ...BAD_JOB_IDS.map(([l, id]): Case => [`enqueue: ${l}`, (f) => f.q.enqueue('work', 1, { id: any(id) }), 'InvalidJobId']),
  ['enqueue: a duplicate id', (f) => f.q.enqueue('work', 1, { id: f.pending }), 'DuplicateJobId'],
  ['enqueue: string options', (f) => f.q.enqueue('work', 1, any('abc')), 'InvalidArgument'],
  ['enqueue: null options', (f) => f.q.enqueue('work', 1, any(null)), 'InvalidArgument'],
  ['enqueue: array options', (f) => f.q.enqueue('work', 1, any([1])), 'InvalidArgument'],
  ['enqueue: an empty dedup key', (f) => f.q.enqueue('work', 1, { dedupKey: '' }), 'InvalidArgument'],
  ['enqueue: a 513-character dedup key', (f) => f.q.enqueue('work', 1, { dedupKey: 'k'.repeat(513) }), 'InvalidArgument'],
  ['enqueue: a numeric dedup key', (f) => f.q.enqueue('work', 1, { dedupKey: any(7) }), 'InvalidArgument'],
  ['enqueue: a negative delay', (f) => f.q.enqueue('work', 1, { delayMs: -1 }), 'InvalidArgument'],
  ['enqueue: a NaN delay', (f) => f.q.enqueue('work', 1, { delayMs: NaN }), 'InvalidArgument'],
  ['enqueue: an infinite delay', (f) => f.q.enqueue('work', 1, { delayMs: Infinity }), 'InvalidArgument'],
  ['enqueue: a string delay', (f) => f.q.enqueue('work', 1, { delayMs: any('5') }), 'InvalidArgument'],
  ['enqueue: a NaN runAt', (f) => f.q.enqueue('work', 1, { runAt: NaN }), 'InvalidArgument'],
  ['enqueue: a string runAt', (f) => f.q.enqueue('work', 1, { runAt: any('2024-01-01') }), 'InvalidArgument'],
  ['enqueue: both runAt and delayMs', (f) => f.q.enqueue('work', 1, { runAt: 1, delayMs: 1 }), 'InvalidArgument'],
  ['enqueue: a fractional priority', (f) => f.q.enqueue('work', 1, { priority: 1.5 }), 'InvalidArgument'],
  ['enqueue: a string priority', (f) => f.q.enqueue('work', 1, { priority: any('1') }), 'InvalidArgument'],
  ['enqueue: maxAttempts 0', (f) => f.q.enqueue('work', 1, { maxAttempts: 0 }), 'InvalidArgument'],
  ['enqueue: a fractional maxAttempts', (f) => f.q.enqueue('work', 1, { maxAttempts: 2.5 }), 'InvalidArgument'],
  ['enqueue: array headers', (f) => f.q.enqueue('work', 1, { headers: any(['a']) }), 'InvalidArgument'],
  ['enqueue: a non-string header value', (f) => f.q.enqueue('work', 1, { headers: any({ a: 1 }) }), 'InvalidArgument'],
  ['enqueue: Map headers', (f) => f.q.enqueue('work', 1, { headers: any(new Map()) }), 'InvalidArgument'],
  ['enqueue: oversized headers', (f) => f.q.enqueue('work', 1, { headers: { h: 'v'.repeat(16 * 1024) } }), 'PayloadTooLarge'],
  ['enqueue: a run id with a space', (f) => f.q.enqueue('work', 1, { runId: 'run 1' }), 'InvalidRunId'],
  ['enqueue: an empty run id', (f) => f.q.enqueue('work', 1, { runId: '' }), 'InvalidRunId'],
  ['enqueue: kvPut not an object', (f) => f.q.enqueue('work', 1, { kvPut: any('k') }), 'InvalidArgument'],
  ['enqueue: kvPut with an empty key', (f) => f.q.enqueue('work', 1, { kvPut: { '': 1 } }), 'InvalidArgument'],
  ['enqueue: kvPut with an undefined value', (f) => f.q.enqueue('work', 1, { kvPut: { k: any(undefined) } }), 'InvalidPayload'],
  ['enqueue: kvPut with an oversized value', (f) => f.q.enqueue('work', 1, { kvPut: { k: BIG } }), 'PayloadTooLarge'],
  // ---- enqueueBatch
  ['enqueueBatch: items not an array', (f) => f.q.enqueueBatch('work', any({ payload: 1 })), 'InvalidArgument'],
  ['enqueueBatch: a null item', (f) => f.q.enqueueBatch('work', any([{ payload: 1 }, null])), 'InvalidArgument'],
  ['enqueueBatch: a number item', (f) => f.q.enqueueBatch('work', any([5])), 'InvalidArgument'],
  ['enqueueBatch: an item without a payload', (f) => f.q.enqueueBatch('work', any([{ payload: 1 }, {}])), 'InvalidPayload'],
  ['enqueueBatch: one oversized item among good ones', (f) => f.q.enqueueBatch('work', [{ payload: 1 }, { payload: BIG }]), 'PayloadTooLarge'],
  ['enqueueBatch: a bad queue name', (f) => f.q.enqueueBatch('', [{ payload: 1 }]), 'InvalidQueueName'],
  ['enqueueBatch: a duplicate id at the end', (f) => f.q.enqueueBatch('work', [{ payload: 1 }, { payload: 2, id: f.dead }]), 'DuplicateJobId'],
  // ---- claim, claimBatch, claimWait, nextDueAt
  ...BAD_QUEUE_NAMES.map(([l, name]): Case => [`claim: ${l}`, (f) => f.q.claim(any(name)), 'InvalidQueueName']),
  ['claim: a negative lease', (f) => f.q.claim('work', { leaseMs: -1 }), 'InvalidArgument'],
  ['claim: a NaN lease', (f) => f.q.claim('work', { leaseMs: NaN }), 'InvalidArgument'],
  ['claim: a string lease', (f) => f.q.claim('work', { leaseMs: any('5') }), 'InvalidArgument'],
  ['claim: string options', (f) => f.q.claim('work', any('fast')), 'InvalidArgument'],
  ['claimBatch: null options', (f) => f.q.claimBatch('work', 1, any(null)), 'InvalidArgument'],
  ['claimBatch: a negative max', (f) => f.q.claimBatch('work', -1), 'InvalidArgument'],
  ['claimBatch: a fractional max', (f) => f.q.claimBatch('work', 1.5), 'InvalidArgument'],
  ['claimBatch: a NaN max', (f) => f.q.claimBatch('work', NaN), 'InvalidArgument'],
  ['claimBatch: an infinite max', (f) => f.q.claimBatch('work', Infinity), 'InvalidArgument'],
  ['claimBatch: a string max', (f) => f.q.claimBatch('work', any('2')), 'InvalidArgument'],
  ['claimBatch: a bad queue name', (f) => f.q.claimBatch('', 1), 'InvalidQueueName'],
  ['claimWait: a NaN timeout', (f) => f.q.claimWait('empty', NaN), 'InvalidArgument'],
  ['claimWait: a negative timeout', (f) => f.q.claimWait('empty', -1), 'InvalidArgument'],
  ['claimWait: a string timeout', (f) => f.q.claimWait('empty', any('5')), 'InvalidArgument'],
  ['claimWait: a signal that is not an AbortSignal', (f) => f.q.claimWait('empty', 10, { signal: any({ aborted: false }) }), 'InvalidArgument'],
  ['claimWait: a bad queue name', (f) => f.q.claimWait('', 10), 'InvalidQueueName'],
  ['claimWait: a negative lease', (f) => f.q.claimWait('work', 10, { leaseMs: -1 }), 'InvalidArgument'],
  ['nextDueAt: a bad queue name', (f) => f.q.nextDueAt(any(undefined)), 'InvalidQueueName'],
  // ---- ack, nack, deadLetter
  ...(['ack', 'nack', 'deadLetter', 'ensureLease'] as const).flatMap((m): Case[] =>
    (
      [
        ['a null claim', null],
        ['an undefined claim', undefined],
        ['an empty object claim', {}],
        ['a claim without a token', { job: { id: 'x' } }],
        ['a claim with a numeric token', { job: { id: 'x' }, token: 5 }],
      ] as const
    ).map(([l, claim]): Case => [
      `${m}: ${l}`,
      (f) => (m === 'ack' ? f.q.ack(any(claim)) : m === 'ensureLease' ? f.q[m](any(claim), 10) : f.q[m](any(claim), 'e')),
      'InvalidArgument',
    ]),
  ),
  ['ack: a forged token', (f) => f.q.ack({ ...f.claimed, token: 'forged' }, { kvPut: { k: 1 } }), 'ClaimLost'],
  ['ack: a claim on an unknown job', (f) => f.q.ack({ ...f.claimed, job: { ...f.claimed.job, id: 'unknown' } }), 'ClaimLost'],
  ['ack: null options', (f) => f.q.ack(f.claimed, undefined, any(null)), 'InvalidArgument'],
  ...badEffects.map(([l, e, name]): Case => [`ack: ${l}`, (f) => f.q.ack(f.claimed, any(e)), name]),
  ...badEffects.map(([l, e, name]): Case => [`nack: ${l}`, (f) => f.q.nack(f.claimed, 'e', { effects: any(e) }), name]),
  ...badEffects.map(([l, e, name]): Case => [`deadLetter: ${l}`, (f) => f.q.deadLetter(f.claimed, 'r', any(e)), name]),
  ...badEffects.map(([l, e, name]): Case => [`cancel: ${l}`, (f) => f.q.cancel(f.pending, any(e)), name]),
  ['nack: a numeric error', (f) => f.q.nack(f.claimed, any(5)), 'InvalidArgument'],
  ['nack: an Error object as error', (f) => f.q.nack(f.claimed, any(new Error('x'))), 'InvalidArgument'],
  ['nack: a negative retryAfterMs', (f) => f.q.nack(f.claimed, 'e', { retryAfterMs: -1 }), 'InvalidArgument'],
  ['nack: a NaN retryAfterMs', (f) => f.q.nack(f.claimed, 'e', { retryAfterMs: NaN }), 'InvalidArgument'],
  ['nack: null options', (f) => f.q.nack(f.claimed, 'e', any(null)), 'InvalidArgument'],
  ['deadLetter: an undefined reason', (f) => f.q.deadLetter(f.claimed, any(undefined)), 'InvalidArgument'],
  ['deadLetter: string options', (f) => f.q.deadLetter(f.claimed, 'r', undefined, any('strict')), 'InvalidArgument'],
  // ---- cancel, wakeScheduled
  ['cancel: a numeric job id', (f) => f.q.cancel(any(5)), 'InvalidArgument'],
  ['cancel: an undefined job id', (f) => f.q.cancel(any(undefined)), 'InvalidArgument'],
  ['wakeScheduled: a numeric job id', (f) => f.q.wakeScheduled(any(5)), 'InvalidArgument'],
  ...NOT_JSON.filter(([l]) => l !== 'undefined').map(([l, v]): Case => [
    `wakeScheduled: a payload that is ${l}`,
    (f) => f.q.wakeScheduled(f.scheduled, any(v())),
    'InvalidPayload',
  ]),
  ['wakeScheduled: an oversized payload', (f) => f.q.wakeScheduled(f.scheduled, BIG), 'PayloadTooLarge'],
  // ---- leases
  ['ensureLease: a negative time', (f) => f.q.ensureLease(f.claimed, -1), 'InvalidArgument'],
  ['ensureLease: a NaN time', (f) => f.q.ensureLease(f.claimed, NaN), 'InvalidArgument'],
  ['ensureLease: an infinite time', (f) => f.q.ensureLease(f.claimed, Infinity), 'InvalidArgument'],
  ['leaseExpiry: a numeric job id', (f) => f.q.leaseExpiry(any(5)), 'InvalidArgument'],
  // ---- recovery
  ['recoverClaims: isAlive not a function', (f) => f.q.recoverClaims(any(true)), 'InvalidArgument'],
  ['recoverClaims: a bad queue option', (f) => f.q.recoverClaims(() => false, { queue: '' }), 'InvalidQueueName'],
  ['recoverClaims: null options', (f) => f.q.recoverClaims(() => false, any(null)), 'InvalidArgument'],
  // ---- inspection
  ...BAD_QUEUE_NAMES.map(([l, name]): Case => [`stats: ${l}`, (f) => stats(f.q, any(name)), 'InvalidQueueName']),
  ['getJob: a numeric job id', (f) => getJob(f.q, any(5)), 'InvalidArgument'],
  ['getJob: an object job id', (f) => getJob(f.q, any({})), 'InvalidArgument'],
  ...BAD_QUEUE_NAMES.map(([l, name]): Case => [`deadJobs: ${l}`, (f) => f.q.deadJobs(any(name)), 'InvalidQueueName']),
  ['deadJobs: a negative limit', (f) => f.q.deadJobs('graveyard', { limit: -1 }), 'InvalidArgument'],
  ['deadJobs: a fractional limit', (f) => f.q.deadJobs('graveyard', { limit: 1.5 }), 'InvalidArgument'],
  ['deadJobs: a numeric cursor', (f) => f.q.deadJobs('graveyard', { after: any(5) }), 'InvalidArgument'],
  ['deadJobs: string options', (f) => f.q.deadJobs('graveyard', any('all')), 'InvalidArgument'],
  ['requeueDead: a numeric job id', (f) => f.q.requeueDead(any(5)), 'InvalidArgument'],
  ['requeueDead: an unknown job id', (f) => f.q.requeueDead('unknown'), 'JobNotFound'],
  ['requeueDead: an invalid job id', (f) => f.q.requeueDead('not an id'), 'JobNotFound'],
  ['requeueDead: a pending job', (f) => f.q.requeueDead(f.pending), 'InvalidState'],
  ['requeueDead: a claimed job', (f) => f.q.requeueDead(f.claimed.job.id), 'InvalidState'],
  ['requeueDead: a check that is not a function', (f) => engineOf(f.q).requeueDead(f.dead, any('yes')), 'InvalidArgument'],
  ['history: a numeric job id', (f) => jobHistory(f.q, any(5)), 'InvalidArgument'],
  // ---- KV
  ['kv.get: an empty key', (f) => f.q.kv.get(''), 'InvalidArgument'],
  ['kv.get: a numeric key', (f) => f.q.kv.get(any(5)), 'InvalidArgument'],
  ['kv.get: a 1025-character key', (f) => f.q.kv.get('k'.repeat(1025)), 'InvalidArgument'],
  ['kv.put: a numeric key', (f) => f.q.kv.put(any(5), 'v'), 'InvalidArgument'],
  ['kv.put: an object key', (f) => f.q.kv.put(any({}), 'v'), 'InvalidArgument'],
  ['kv.put: an empty key', (f) => f.q.kv.put('', 'v'), 'InvalidArgument'],
  ...NOT_JSON.map(([l, v]): Case => [`kv.put: a value that is ${l}`, (f) => f.q.kv.put('k', any(v())), 'InvalidPayload']),
  ['kv.put: an oversized value', (f) => f.q.kv.put('k', BIG), 'PayloadTooLarge'],
  ['kv.delete: an empty key', (f) => f.q.kv.delete(''), 'InvalidArgument'],
  ['kv.delete: a numeric key', (f) => f.q.kv.delete(any(5)), 'InvalidArgument'],
  ['kv.compareDelete: an empty key', (f) => f.q.kv.compareDelete('', 'v'), 'InvalidArgument'],
  ['kv.compareDelete: an undefined expected value', (f) => f.q.kv.compareDelete('config', any(undefined)), 'InvalidPayload'],
  ['kv.compareDelete: a function as expected value', (f) => f.q.kv.compareDelete('config', any(() => 1)), 'InvalidPayload'],
  ['kv.comparePut: a numeric key', (f) => f.q.kv.comparePut(any(5), undefined, 'v'), 'InvalidArgument'],
  ['kv.comparePut: an undefined value', (f) => f.q.kv.comparePut('k', undefined, any(undefined)), 'InvalidPayload'],
  ['kv.comparePut: a cyclic value', (f) => f.q.kv.comparePut('k', undefined, any(cycle())), 'InvalidPayload'],
  ['kv.comparePut: a NaN expected value', (f) => f.q.kv.comparePut('config', any(NaN), 'v'), 'InvalidPayload'],
  ['kv.comparePut: an oversized value', (f) => f.q.kv.comparePut('config', { v: 1 }, BIG), 'PayloadTooLarge'],
  ['kv.scan: a numeric prefix', (f) => f.q.kv.scan(any(5)), 'InvalidArgument'],
  ['kv.scan: a negative limit', (f) => f.q.kv.scan('', { limit: -1 }), 'InvalidArgument'],
  ['kv.scan: a NaN limit', (f) => f.q.kv.scan('', { limit: NaN }), 'InvalidArgument'],
  ['kv.scan: a numeric cursor', (f) => f.q.kv.scan('', { after: any(5) }), 'InvalidArgument'],
  ['kv.scan: null options', (f) => f.q.kv.scan('', any(null)), 'InvalidArgument'],
];

describe('bad input', () => {
  it.each(cases.map(([label, call, name]) => [label, name, call] as const))('%s fails %s and writes nothing', async (_, name, call) => {
    const f = await fixture();
    const before = await dump(storeOf(f.q));
    let result: unknown;
    try {
      result = call(f);
    } catch (e) {
      throw new Error(`threw synchronously instead of rejecting: ${String(e)}`, { cause: e });
    }
    expect(result).toBeInstanceOf(Promise);
    const err = await (result as Promise<unknown>).then(
      (v) => ({ resolved: v }),
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name });
    expect(await dump(storeOf(f.q))).toEqual(before);
  });
});

describe('unknown and invalid job ids', () => {
  const answers: [string, Call, unknown][] = [
    ['cancel answers notFound for an unknown id', (f) => f.q.cancel('unknown', { kvPut: { k: 1 } }), { kind: 'notFound' }],
    ['cancel answers notFound for an id outside the grammar', (f) => f.q.cancel('not an id'), { kind: 'notFound' }],
    ['cancel answers notFound for an empty id', (f) => f.q.cancel(''), { kind: 'notFound' }],
    ['wakeScheduled answers notFound for an unknown id', (f) => f.q.wakeScheduled('unknown', 'p'), 'notFound'],
    ['getJob answers undefined for an unknown id', (f) => getJob(f.q, 'unknown'), undefined],
    ['leaseExpiry answers undefined for an unknown id', (f) => f.q.leaseExpiry('unknown'), undefined],
    ['history answers nothing for an unknown id', (f) => jobHistory(f.q, 'unknown'), []],
    ['stats answers zeros for an unknown queue', (f) => stats(f.q, 'unknown'), { pending: 0, scheduled: 0, claimed: 0, done: 0, dead: 0 }],
    ['deadJobs answers nothing for an unknown queue', (f) => f.q.deadJobs('unknown'), []],
    ['kv.get answers undefined for an unknown key', (f) => f.q.kv.get('unknown'), undefined],
    ['kv.compareDelete answers false for an unknown key', (f) => f.q.kv.compareDelete('unknown', 1), false],
    ['claim answers nothing on an unknown queue', (f) => f.q.claim('unknown'), undefined],
  ];

  it.each(answers)('%s and writes nothing', async (_, call, expected) => {
    const f = await fixture();
    const before = await dump(storeOf(f.q));
    expect(await call(f)).toEqual(expected);
    expect(await dump(storeOf(f.q))).toEqual(before);
  });
});

describe('Queue.open with bad configuration', () => {
  const configs: [string, Record<string, unknown>, WorkflowErrorName][] = [
    ['string defaults', { defaults: 'fast' }, 'InvalidArgument'],
    ['a negative lease', { defaults: { leaseMs: -1 } }, 'InvalidArgument'],
    ['a NaN done retention', { defaults: { keepDoneMs: NaN } }, 'InvalidArgument'],
    ['a negative dead retention', { defaults: { deadRetentionMs: -1 } }, 'InvalidArgument'],
    ['a zero payload limit', { defaults: { maxPayloadBytes: 0 } }, 'InvalidArgument'],
    ['retry.maxAttempts 0', { defaults: { retry: { maxAttempts: 0 } } }, 'InvalidArgument'],
    ['retry.jitter above 1', { defaults: { retry: { jitter: 2 } } }, 'InvalidArgument'],
    ['an empty queue name', { queues: { '': {} } }, 'InvalidQueueName'],
    ['a queue name over 255 characters', { queues: { ['q'.repeat(256)]: {} } }, 'InvalidQueueName'],
    ['a bad per-queue lease', { queues: { fast: { leaseMs: -5 } } }, 'InvalidArgument'],
  ];

  it.each(configs)('rejects %s', async (_, options, name) => {
    await expect(Queue.open({ ...(await freshStoreOptions()), ...options })).rejects.toMatchObject({ name });
  });

  it('accepts a 255-character queue name', async () => {
    const { q } = await freshQueue();
    const name = 'q'.repeat(255);
    await q.enqueue(name, 1);
    expect((await stats(q, name)).pending).toBe(1);
  });
});
