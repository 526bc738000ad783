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
import type { Json } from '../core/json.ts';
import { fence } from '../queue/settle.ts';
import type { Claim } from '../queue/types.ts';
import type { Store } from '../store/store.ts';
import type { MemoRecord } from './records.ts';
import { KeyedMemo } from './keyed-memo.ts';

/** `step.memo` in the browser: the `memos` table, writes fenced on the delivery's claim. */
export class StepMemo extends KeyedMemo {
  readonly #store: Store;
  readonly #runId: string;
  readonly #step: number;
  readonly #claim: Claim | undefined;

  /** `claim`: the delivery whose step this memo serves; absent for a view outside any step (unfenced). */
  constructor(store: Store, runId: string, step: number, maxBytes: number, claim?: Claim) {
    super(maxBytes);
    this.#store = store;
    this.#runId = runId;
    this.#step = step;
    this.#claim = claim;
  }

  protected async read(key: string): Promise<Json | undefined> {
    const rec = await this.#store.read((t) => t.get<MemoRecord>('memos', [this.#runId, this.#step, key]), ['memos']);
    return rec?.value;
  }

  /** @throws `ClaimLost` (nothing written) when the step's delivery no longer holds its claim */
  protected async write(key: string, value: Json): Promise<void> {
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
