/**
 * The application KV: what settlement effects write to. Values are JSON; compare operations
 * compare canonical JSON, so key order inside objects does not matter.
 */
import { checkInt, checkOptions, checkString } from '../core/check.ts';
import { canonicalJson, type Json } from '../core/json.ts';
import type { KvRecord } from '../store/db.ts';
import type { Store } from '../store/store.ts';
import type { Tx } from '../store/tx.ts';
import { checkKvKey } from './validate.ts';

export async function kvGet(t: Tx, key: string): Promise<Json | undefined> {
  return (await t.get<KvRecord>('kv', key))?.value;
}

/** Deletes `key` only if it holds `expected`. */
export async function kvCompareDelete(t: Tx, key: string, expected: Json): Promise<boolean> {
  const cur = await t.get<KvRecord>('kv', key);
  if (!cur || canonicalJson(cur.value) !== canonicalJson(expected)) return false;
  t.delete('kv', key);
  return true;
}

/** Writes `value` only if `key` holds `expected` (`undefined`: only if absent). */
export async function kvComparePut(t: Tx, key: string, expected: Json | undefined, value: Json): Promise<boolean> {
  const cur = await t.get<KvRecord>('kv', key);
  const matches = expected === undefined ? cur === undefined : cur !== undefined && canonicalJson(cur.value) === canonicalJson(expected);
  if (!matches) return false;
  t.put('kv', { key, value } satisfies KvRecord);
  return true;
}

export interface KvPage {
  entries: { key: string; value: Json }[];
  /** Pass back as `after` for the next page; absent on the last page. */
  cursor?: string;
}

/** Keys starting with `prefix`, in key order, after `after`, at most `limit`. */
export async function kvScan(t: Tx, prefix: string, after: string | undefined, limit: number): Promise<KvPage> {
  if (limit <= 0 || (after !== undefined && !after.startsWith(prefix))) return { entries: [] };
  const range = after !== undefined ? t.keyRange.lowerBound(after, true) : t.keyRange.lowerBound(prefix);
  const entries: KvPage['entries'] = [];
  let more = false;
  await t.each<KvRecord>('kv', undefined, range, (r) => {
    if (!r.key.startsWith(prefix)) return false;
    if (entries.length === limit) {
      more = true;
      return false;
    }
    entries.push({ key: r.key, value: r.value });
    return true;
  });
  const last = entries[entries.length - 1];
  return more && last ? { entries, cursor: last.key } : { entries };
}

/** KV reads, each validated and then run in its own read-only transaction. */
export interface KvReads {
  get(key: string): Promise<Json | undefined>;
  /** Keys starting with `prefix`, in key order: `limit` (default 100) at a time, after the key `after`. */
  scan(prefix: string, options?: { after?: string; limit?: number }): Promise<KvPage>;
}

export function kvReads(store: Store): KvReads {
  return {
    get: async (key) => {
      checkKvKey(key);
      return store.read((t) => kvGet(t, key), ['kv']);
    },
    scan: async (prefix, options = {}) => {
      checkString(prefix, 'prefix');
      checkOptions(options, 'scan options');
      if (options.after !== undefined) checkString(options.after, 'after', 'must be a key');
      const limit = options.limit ?? 100;
      checkInt(limit, 'limit', 0);
      return store.read((t) => kvScan(t, prefix, options.after, limit), ['kv']);
    },
  };
}
