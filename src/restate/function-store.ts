/**
 * What `workflow()` functions replay against on Restate: the part of the browser's `Store` their
 * journal uses (functions/journal.ts: memo records of the run under step -1, read with one key
 * range, written fenced on the delivery and never overwritten), answered from the run's data
 * object. The journal code runs unchanged; so does its key layout, so a journal handed off
 * from the browser is the one the server replays.
 *
 * Only what the journal asks is served: `memos` gets and ranges, the delivery's own job (the
 * fence: this delivery's attempt, which the data object checks on every write), `memos` puts.
 * Anything else is a programming error and throws.
 */
import { WorkflowError } from '../core/errors.ts';
import type { Json } from '../core/json.ts';
import type { Store } from '../store/store.ts';
import type { RunData } from './remote-memo.ts';

interface Bound {
  lower: unknown;
  upper: unknown;
}

interface MemoRow {
  runId: string;
  step: number;
  key: string;
  value: Json;
}

const keyRange = { bound: (lower: unknown, upper: unknown): Bound => ({ lower, upper }) };

function unsupported(what: string): WorkflowError {
  return new WorkflowError('StoreError', `a workflow() run on Restate asked its store for ${what}, which only the browser has`);
}

/** A store for the `workflow()` replay of one delivery (`jobId`, attempt in `data.fence`). */
export function functionStore(data: RunData, runId: string, jobId: string): Store {
  const tx = (writes: MemoRow[]) => ({
    keyRange,
    async get(table: string, key: unknown): Promise<unknown> {
      if (table === 'jobs') return key === jobId ? { id: jobId, state: 'claimed', attempts: data.fence.attempt } : undefined;
      if (table !== 'memos' || !Array.isArray(key)) throw unsupported(`${table} by ${typeof key}`);
      const [, step, k] = key as [string, number, string];
      const value = await data.get(step, k);
      return value === undefined ? undefined : ({ runId, step, key: k, value } satisfies MemoRow);
    },
    async getAll(table: string, index: unknown, range: unknown): Promise<MemoRow[]> {
      if (table !== 'memos' || index !== undefined || typeof range !== 'object' || range === null) throw unsupported(`a range of ${table}`);
      const [, step, lower] = (range as Bound).lower as [string, number, string];
      const upper = ((range as Bound).upper as [string, number, string])[2];
      const rows = await data.list(step, commonPrefix(lower, upper));
      return rows.filter((r) => r.key >= lower && r.key <= upper).map((r) => ({ runId, step, key: r.key, value: r.value }));
    },
    put(table: string, row: unknown): void {
      if (table !== 'memos') throw unsupported(`a write to ${table}`);
      writes.push(row as MemoRow);
    },
  });
  const store = {
    keyRange,
    async read<T>(body: (t: ReturnType<typeof tx>) => Promise<T>): Promise<T> {
      return body(tx([]));
    },
    async write<T>(body: (t: ReturnType<typeof tx>) => Promise<T>): Promise<T> {
      const writes: MemoRow[] = [];
      const result = await body(tx(writes));
      // Append-only: a record another delivery wrote first is kept (the journal read it already).
      if (writes.length > 0) await data.put(writes.map((w) => ({ step: w.step, key: w.key, value: w.value })), true);
      return result;
    },
  };
  // The journal uses `read`, `write` and the transaction methods above, nothing else of `Store`.
  return store as unknown as Store;
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}
