/** `Queue.kv`: the app KV with writes and compare-and-set, each one transaction, over a queue engine. */
import { checkJson, type Json } from '../core/json.ts';
import type { QueueEngine } from './engine.ts';
import { kvCompareDelete, kvComparePut, type KvReads } from './kv.ts';
import { checkKvKey, checkKvWrites } from './validate.ts';

/** The app KV of `Queue.kv`: the engine's reads plus writes and compare-and-set. */
export interface QueueKv extends KvReads {
  put(key: string, value: Json): Promise<void>;
  delete(key: string): Promise<void>;
  /** Deletes `key` only if it holds `expected` (canonical JSON). @returns whether it did */
  compareDelete(key: string, expected: Json): Promise<boolean>;
  /** Writes `value` only if `key` holds `expected` (`undefined`: only if absent). @returns whether it did */
  comparePut(key: string, expected: Json | undefined, value: Json): Promise<boolean>;
}

export function kvApi({ kv, store, defaults }: QueueEngine): QueueKv {
  return {
    ...kv,
    put: async (key, value) => {
      checkKvKey(key); // before `{ [key]: value }` turns a number or an object into a string
      checkKvWrites({ [key]: value }, defaults.maxPayloadBytes);
      await store.write(async (t) => t.put('kv', { key, value }));
    },
    delete: async (key) => {
      checkKvKey(key);
      await store.write(async (t) => t.delete('kv', key));
    },
    compareDelete: async (key, expected) => {
      checkKvKey(key);
      checkJson(expected, 'expected value');
      return store.write((t) => kvCompareDelete(t, key, expected));
    },
    comparePut: async (key, expected, value) => {
      checkKvKey(key);
      checkKvWrites({ [key]: value }, defaults.maxPayloadBytes);
      if (expected !== undefined) checkJson(expected, 'expected value');
      return store.write((t) => kvComparePut(t, key, expected, value));
    },
  };
}
