/**
 * Per-step memo in the `memos` table, keyed [runId, stepNumber, kind:key]. Reads and writes go
 * straight to storage (no cache), so two instances see the same entries, and a put is
 * committed before it resolves, so the next attempt of the step reads it. Entries are
 * addressed by run id, not run instance: a re-submitted id shares them.
 *
 * A step's memo writes are fenced on its delivery's claim, like its settlement: a put from a
 * delivery that lost its claim (its lease expired, its executor was taken for dead) fails
 * `ClaimLost` and writes nothing, so an abandoned delivery cannot leave entries behind a run's
 * retention sweep. Reads are not fenced.
 */
import { checkJson, type Json } from '../core/json.ts';
import { checkMemoKey, contentKey } from '../core/memo-keys.ts';
import { fence } from '../queue/settle.ts';
import type { Claim } from '../queue/types.ts';
import type { Store } from '../store/store.ts';
import type { MemoRecord } from './records.ts';
import type { Memo } from './types.ts';

export class StepMemo implements Memo {
  readonly #store: Store;
  readonly #runId: string;
  readonly #step: number;
  readonly #maxBytes: number;
  readonly #claim: Claim | undefined;
  /** Reads that found a value (for the attempt history). */
  hits = 0;

  /** `claim`: the delivery whose step this memo serves; absent for a view outside any step (unfenced). */
  constructor(store: Store, runId: string, step: number, maxBytes: number, claim?: Claim) {
    this.#store = store;
    this.#runId = runId;
    this.#step = step;
    this.#maxBytes = maxBytes;
    this.#claim = claim;
  }

  // async: a bad key or value rejects the promise rather than throwing at the call.
  async get(key: string): Promise<Json | undefined> {
    checkMemoKey(key);
    return this.#read(`k:${key}`);
  }

  /** @throws `ClaimLost` (nothing written) when the step's delivery no longer holds its claim */
  async put(key: string, value: Json): Promise<void> {
    checkMemoKey(key);
    checkJson(value, 'memo value', this.#maxBytes);
    return this.#write(`k:${key}`, value);
  }

  async contentGet(input: Json): Promise<Json | undefined> {
    return this.#read(`c:${await contentKey(input)}`);
  }

  /** @throws `ClaimLost` (nothing written) as `put` */
  async contentPut(input: Json, value: Json): Promise<void> {
    const key = await contentKey(input);
    checkJson(value, 'memo value', this.#maxBytes);
    return this.#write(`c:${key}`, value);
  }

  async #read(key: string): Promise<Json | undefined> {
    const rec = await this.#store.read((t) => t.get<MemoRecord>('memos', [this.#runId, this.#step, key]), ['memos']);
    if (rec === undefined) return undefined;
    this.hits++;
    return rec.value;
  }

  async #write(key: string, value: Json): Promise<void> {
    const rec: MemoRecord = { runId: this.#runId, step: this.#step, key, value };
    const claim = this.#claim;
    await this.#store.write(async (t) => {
      if (claim) await fence(t, claim);
      t.put('memos', rec);
    });
  }
}



/** Deletes every memo entry (user, content and replay) of a run. @returns how many */
export async function clearMemosForRun(store: Store, runId: string): Promise<number> {
  return store.write(async (t) => {
    const range = t.keyRange.bound([runId], [runId, []]);
    const n = await t.count('memos', undefined, range);
    if (n > 0) t.delete('memos', range);
    return n;
  });
}
