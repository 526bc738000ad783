/**
 * The rules of `step.memo` wherever its entries are stored: keys are checked, values are JSON
 * within the payload limit, and entries are keyed `k:<key>` (`put`) or `c:<hash>`
 * (`contentPut`) under the step. A store only reads and writes stored keys; it counts nothing
 * else. Both the browser's memo and a remote run's memo are one of these, so an entry handed
 * from one to the other is found under the same key.
 */
import { checkJson, type Json } from '../core/json.ts';
import { checkMemoKey, contentKey } from '../core/memo-keys.ts';
import type { Memo } from './types.ts';

export abstract class KeyedMemo implements Memo {
  readonly #maxBytes: number;
  /** Reads that found a value (for the attempt history). */
  hits = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The stored value under the stored key, or `undefined`. */
  protected abstract read(storedKey: string): Promise<Json | undefined>;
  /** Stores the value under the stored key (committed before it resolves). */
  protected abstract write(storedKey: string, value: Json): Promise<void>;

  // async: a bad key or value rejects the promise rather than throwing at the call.
  async get(key: string): Promise<Json | undefined> {
    checkMemoKey(key);
    return this.#counted(`k:${key}`);
  }

  async put(key: string, value: Json): Promise<void> {
    checkMemoKey(key);
    checkJson(value, 'memo value', this.#maxBytes);
    return this.write(`k:${key}`, value);
  }

  async contentGet(input: Json): Promise<Json | undefined> {
    return this.#counted(`c:${await contentKey(input)}`);
  }

  async contentPut(input: Json, value: Json): Promise<void> {
    const key = await contentKey(input);
    checkJson(value, 'memo value', this.#maxBytes);
    return this.write(`c:${key}`, value);
  }

  async #counted(storedKey: string): Promise<Json | undefined> {
    const value = await this.read(storedKey);
    if (value !== undefined) this.hits++;
    return value;
  }
}
