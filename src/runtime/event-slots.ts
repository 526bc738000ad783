/**
 * Event slots: the one home of the rule for durable event waiters and buffers. Every read or
 * write of the `events` table goes through here.
 *
 * One record per event key (its slot) holds at most one waiter and at most one buffered payload:
 * - One waiter per key. A step that waits on a key is parked as a scheduled job and registered
 *   as the key's waiter. A second run that waits on the key while the waiter's job is still
 *   scheduled fails with `EventWaiterExists`'s message; the holder keeps waiting. A waiter whose
 *   job is no longer scheduled (woken, promoted by its timeout, gone) is stale and is replaced.
 * - A send wakes the waiter's job, handing it the payload, and drops the registration and any
 *   older buffer (superseded). With no waiter, or a stale one, the payload is buffered instead,
 *   replacing any earlier buffer: the slot keeps the latest send.
 * - Each buffered payload has an id of its own (unique per send, even within one millisecond;
 *   records of older builds fall back to their send time, see `bufferId`).
 * - A buffered payload is consumed at registration: a step that waits on a key with a buffer is
 *   woken with it at once, and nothing is registered.
 * - A step that follows a wait observes the payload it was woken with; if it was not woken (its
 *   timeout came first), a payload buffered meanwhile, whose id it records; else null.
 * - Release: a step's settlement drops its run's registration and the one buffer it observed (by
 *   id: a later send of the same key is kept for the next waiter). A run's end drops its
 *   registration and keeps any buffer.
 * - Retention: a buffer is discarded `eventRetentionMs` after it was sent; a registration stays.
 * - A slot with neither waiter nor buffer is deleted.
 *
 * Every function here runs inside the caller's transaction (the settlement, the send) except
 * `observe`, which reads before the step runs.
 */
import type { Json } from '../core/json.ts';
import type { QueueOps } from '../queue/ops.ts';
import type { Store } from '../store/store.ts';
import type { Tx } from '../store/tx.ts';
import { bufferId, type EventRecord, type RunRecord } from './records.ts';

/** The slot of `key` as stored, or an empty one. */
export async function readSlot(t: Tx, key: string): Promise<EventRecord> {
  return (await t.get<EventRecord>('events', key)) ?? { key };
}

/** Writes a slot back, or deletes it when it holds nothing. */
export function saveSlot(t: Tx, ev: EventRecord): void {
  if (ev.waiter || ev.buffered) t.put('events', ev);
  else t.delete('events', ev.key);
}

/**
 * A send of `payload` to `key`: wakes the registered waiter's job with it, or buffers it (under
 * the fresh `id`). @returns the run whose step was woken, if any
 */
export async function send(ops: QueueOps, key: string, payload: Json, id: string): Promise<{ result: 'delivered' | 'buffered'; runId?: string }> {
  const ev = await readSlot(ops.t, key);
  if (ev.waiter) {
    const { runId, jobId } = ev.waiter;
    delete ev.waiter;
    if ((await ops.wake(jobId, payload)) === 'woken') {
      ops.t.delete('events', key); // an older buffer is superseded by this delivery
      return { result: 'delivered', runId };
    }
    // A stale registration: buffer instead.
  }
  ev.buffered = { payload, at: ops.now(), id };
  ops.t.put('events', ev);
  return { result: 'buffered' };
}

/** Discards the buffered payload of `key`. @returns whether there was one */
export async function clearBuffer(t: Tx, key: string): Promise<boolean> {
  const ev = await t.get<EventRecord>('events', key);
  if (!ev?.buffered) return false;
  delete ev.buffered;
  saveSlot(t, ev);
  return true;
}

/**
 * Reads the slot a step of `runId` is about to wait on. @returns the slot, or `taken` when
 * another run's waiter holds it (its job still scheduled)
 */
export async function slotToWait(ops: QueueOps, key: string, runId: string): Promise<EventRecord | 'taken'> {
  const ev = await readSlot(ops.t, key);
  if (ev.waiter && ev.waiter.runId !== runId) {
    const holder = await ops.getJob(ev.waiter.jobId);
    if (holder?.state === 'scheduled') return 'taken';
  }
  return ev;
}

/** The message a run fails with when it waits on a key another run waits on. */
export function waiterExistsMessage(key: string): string {
  return `a waiter is already registered for event key ${JSON.stringify(key)}`;
}

/**
 * Registers `jobId` (the parked next step of `runId`) on the slot `slotToWait` returned, or
 * wakes it with the buffered payload. @returns whether the job now waits (the run then holds
 * the key: `run.eventKey`)
 */
export async function register(ops: QueueOps, ev: EventRecord, runId: string, jobId: string): Promise<boolean> {
  let waiting = false;
  if (ev.buffered) {
    if ((await ops.wake(jobId, ev.buffered.payload)) === 'woken') delete ev.buffered;
  } else {
    ev.waiter = { runId, jobId };
    waiting = true;
  }
  if (ev.waiter && ev.waiter.jobId !== jobId && !waiting) delete ev.waiter; // a stale one
  saveSlot(ops.t, ev);
  return waiting;
}

/** What a step that follows a wait on `key` observes, and the id of the buffer it observed. */
export interface Observed {
  event: { key: string; payload: Json | null };
  bufferId?: string;
}

/** What the step of `job` (parked on `key`) observes: its wake payload, else a buffer sent meanwhile, else null. */
export async function observe(store: Store, key: string, job: { wokenAt: number | null; wakePayload: Json | null }): Promise<Observed> {
  if (job.wokenAt !== null) return { event: { key, payload: job.wakePayload } };
  const ev = await store.read((t) => t.get<EventRecord>('events', key), ['events']);
  if (ev?.buffered) return { event: { key, payload: ev.buffered.payload }, bufferId: bufferId(ev.buffered) };
  return { event: { key, payload: null } };
}

/** At a step's settlement: drops its run's registration on `key` and the buffer it observed. */
export async function releaseStep(t: Tx, key: string, runId: string, observedBufferId: string | undefined): Promise<void> {
  const ev = await t.get<EventRecord>('events', key);
  if (!ev) return;
  let changed = false;
  if (ev.waiter?.runId === runId) {
    delete ev.waiter;
    changed = true;
  }
  if (observedBufferId !== undefined && ev.buffered && bufferId(ev.buffered) === observedBufferId) {
    delete ev.buffered;
    changed = true;
  }
  if (changed) saveSlot(t, ev);
}

/** At a run's end: drops the registration the run holds (`run.eventKey`), keeping any buffer. */
export async function releaseRun(t: Tx, run: RunRecord): Promise<void> {
  if (run.eventKey === undefined) return;
  const ev = await t.get<EventRecord>('events', run.eventKey);
  if (ev?.waiter?.runId === run.runId) {
    delete ev.waiter;
    saveSlot(t, ev);
  }
  delete run.eventKey;
}

/** A buffered payload sent strictly before `cutoff` (a record without a readable send time is kept). */
export function isExpiredBuffer(ev: EventRecord, cutoff: number): boolean {
  return typeof ev.buffered?.at === 'number' && ev.buffered.at < cutoff;
}

/** Discards the buffer of a slot if it is still the one `id` names and expired at `cutoff`. @returns whether it did */
export function discardExpired(t: Tx, ev: EventRecord | undefined, cutoff: number, id: string): boolean {
  if (!ev || !isExpiredBuffer(ev, cutoff) || bufferId(ev.buffered!) !== id) return false;
  delete ev.buffered;
  saveSlot(t, ev);
  return true;
}
