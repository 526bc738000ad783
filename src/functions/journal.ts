/**
 * The journal of a durable function's run: what its completed steps returned, when its sleeps
 * and waits began, what a wait received, and the values `run.now()`/`run.random()` handed out.
 * Replaying the function from these records is what makes completed steps never run again.
 *
 * Storage: memo records of the run under the step number -1 (never a real step, so no step's
 * memo sees them; the run's memo retention clears them with the rest), keyed
 * `f:<instance>:<what>`, where the instance is the id of the run's step-0 job: a run id used
 * again is another instance, with a journal of its own. `<what>` is `i` (input and version),
 * `p<position>` (one durable call) or `r<index>` (one recorded now/random value), zero-padded so
 * that one key range holds the whole journal in order: a cold start reads it with ONE range read.
 *
 * Writes are fenced on the delivery (the step job must still be claimed with the attempt count
 * this delivery saw: every claim increments it), and never overwrite: a record already there
 * (written by an earlier delivery whose settlement was lost) wins and is handed back, so every
 * execution of the run sees one history. Each record is written once; a journal is append-only.
 */
import { WorkflowError } from '../core/errors.ts';
import type { Json } from '../core/json.ts';
import type { JobRecord } from '../store/db.ts';
import type { Store } from '../store/store.ts';
import type { MemoRecord } from '../runtime/records.ts';

/** The memo step number journal records live under. */
export const JOURNAL_STEP = -1;

export type CallKind = 'step' | 'sleep' | 'wait';

/** One durable call, at its position in the run. */
export interface Entry {
  k: CallKind;
  n: string;
  /** step: its result (absent when it resolved with nothing); wait: the payload or null, once known. */
  v?: Json;
  /** sleep, wait: when it began (the remaining delay after a redelivery is measured from here). */
  at?: number;
  /** wait: the event key. */
  key?: string;
}

export interface JournalHead {
  input: Json;
  version: string | null;
}

/** A run's journal in memory. Only records known to be committed are in it. */
export class Journal {
  readonly runId: string;
  readonly instance: string;
  head: JournalHead | undefined;
  readonly entries: (Entry | undefined)[] = [];
  /** What each wait received (payload or null), by position: written by the step after it. */
  readonly received = new Map<number, Json>();
  readonly values: number[] = [];
  /**
   * The step this journal holds every record for (set after a read, and after a step that
   * continued the run): the cache hands it out for that step, or a redelivery of the one before.
   */
  completeFor = -1;

  constructor(runId: string, instance: string) {
    this.runId = runId;
    this.instance = instance;
  }

  /** Whether every position before `n` is recorded. */
  hasPositionsBefore(n: number): boolean {
    if (this.entries.length < n) return false;
    for (let p = 0; p < n; p++) if (this.entries[p] === undefined) return false;
    return true;
  }
}

/** A record to write: where, and its value. */
export type JournalWrite =
  | { what: 'head'; value: JournalHead }
  | { what: 'entry'; position: number; value: Entry }
  | { what: 'received'; position: number; value: Json }
  | { what: 'value'; index: number; value: number };

function suffix(w: JournalWrite): string {
  switch (w.what) {
    case 'head':
      return 'i';
    case 'entry':
      return `p${pad(w.position)}`;
    case 'received':
      return `w${pad(w.position)}`;
    default:
      return `r${pad(w.index)}`;
  }
}

function pad(n: number): string {
  return String(n).padStart(9, '0');
}

function keyPrefix(instance: string): string {
  return `f:${instance}:`;
}

/** One stored journal record: its key (`f:<instance>:<what>`) and value. */
export interface JournalRecord {
  key: string;
  value: Json;
}

/**
 * Where a run's journal records live: the browser's `memos` table, or a remote run's state on
 * a server. The journal's rules (one range read, append-only, fenced writes) hold on both.
 */
export interface JournalRecords {
  /** Every record of the run whose key starts with `prefix`, in key order. */
  load(runId: string, prefix: string): Promise<JournalRecord[]>;
  /**
   * Writes, in one atomic step fenced on the delivery, each record whose key is not there yet.
   * @returns the stored value of each record, in order (an existing record's value where there was one)
   * @throws WorkflowError `ClaimLost` (nothing written) when the delivery no longer holds its job
   */
  append(runId: string, fence: WriteFence, records: readonly JournalRecord[]): Promise<Json[]>;
}

/** The journal in the browser's `memos` table, fenced on the delivery's job record. */
export function storeJournalRecords(store: Store): JournalRecords {
  return {
    load: (runId, prefix) =>
      store.read(
        (t) => t.getAll<MemoRecord>('memos', undefined, t.keyRange.bound([runId, JOURNAL_STEP, prefix], [runId, JOURNAL_STEP, `${prefix}\uffff`])),
        ['memos'],
      ),
    append: (runId, fence, records) =>
      store.write(async (t) => {
        const keys = records.map((r) => [runId, JOURNAL_STEP, r.key]);
        const [job, ...existing] = await Promise.all([t.get<JobRecord>('jobs', fence.jobId), ...keys.map((k) => t.get<MemoRecord>('memos', k))]);
        if (!job || job.state !== 'claimed' || job.attempts !== fence.attempts) {
          throw new WorkflowError('ClaimLost', `the claim on job ${fence.jobId} is no longer held: its journal is not written`, { jobId: fence.jobId });
        }
        return records.map((r, i) => {
          const found = existing[i];
          if (found !== undefined) return found.value;
          t.put('memos', { runId, step: JOURNAL_STEP, key: r.key, value: r.value } satisfies MemoRecord);
          return r.value;
        });
      }),
  };
}

/** Reads a run's whole journal: one range read. */
export async function loadJournal(records: JournalRecords, runId: string, instance: string): Promise<Journal> {
  const prefix = keyPrefix(instance);
  const journal = new Journal(runId, instance);
  for (const r of await records.load(runId, prefix)) apply(journal, r.key.slice(prefix.length), r.value);
  return journal;
}

function apply(journal: Journal, what: string, value: Json): void {
  const tag = what[0];
  if (tag === 'i') journal.head = value as unknown as JournalHead;
  else if (tag === 'p') journal.entries[Number(what.slice(1))] = value as unknown as Entry;
  else if (tag === 'w') journal.received.set(Number(what.slice(1)), value);
  else if (tag === 'r') journal.values[Number(what.slice(1))] = value as number;
}

/** The delivery a write is fenced on. */
export interface WriteFence {
  jobId: string;
  attempts: number;
}

/**
 * Appends `writes` to the run's journal, keeping any record already there, then adds what is
 * stored to `journal`.
 * @returns the stored values, in the order of `writes` (an existing record's value where there was one)
 * @throws WorkflowError `ClaimLost` (nothing written) when the delivery no longer holds its job
 */
export async function writeJournal(records: JournalRecords, journal: Journal, fence: WriteFence, writes: readonly JournalWrite[]): Promise<Json[]> {
  const prefix = keyPrefix(journal.instance);
  const stored = await records.append(
    journal.runId,
    fence,
    writes.map((w) => ({ key: prefix + suffix(w), value: w.value as unknown as Json })),
  );
  for (const [i, w] of writes.entries()) apply(journal, suffix(w), stored[i]!);
  return stored;
}

/**
 * The journals of the runs this worker executes, kept between deliveries so that the next step
 * of a run replays from memory (no read at all); a run that moved to another worker, or a
 * worker that restarted, reads its journal once. At most `capacity` runs, least recently used
 * dropped first; a run's journal is dropped when the run ends here.
 */
export class JournalCache {
  readonly #journals = new Map<string, Journal>();
  readonly #capacity: number;

  constructor(capacity = 256) {
    this.#capacity = capacity;
  }

  /**
   * The journal of this run instance if it is known to hold every record step `stepNumber`
   * needs: it was complete for this step, or for the next one (a redelivery after a lost settlement).
   */
  get(runId: string, instance: string, stepNumber: number): Journal | undefined {
    const j = this.#journals.get(runId);
    if (!j || j.instance !== instance || (j.completeFor !== stepNumber && j.completeFor !== stepNumber + 1)) return undefined;
    this.#journals.delete(runId);
    this.#journals.set(runId, j); // most recently used last
    return j;
  }

  set(journal: Journal): void {
    this.#journals.delete(journal.runId);
    this.#journals.set(journal.runId, journal);
    while (this.#journals.size > this.#capacity) this.#journals.delete(this.#journals.keys().next().value!);
  }

  delete(runId: string): void {
    this.#journals.delete(runId);
  }

  get size(): number {
    return this.#journals.size;
  }
}
