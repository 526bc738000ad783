/**
 * How memo entries are keyed, wherever a memo is stored (the browser's `memos` table, a remote
 * run's state): `k:<key>` for `memo.put`, `c:<hash>` for `memo.contentPut`. Both sides must key
 * alike, or an entry handed from one to the other is not found and a paid call is made again.
 */
import { WorkflowError } from './errors.ts';
import { checkJson, hashJson, type Json } from './json.ts';

export function checkMemoKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new WorkflowError('InvalidArgument', 'a memo key must be a string', { what: 'memo key' });
}

/**
 * The hash of the canonical JSON of `input`.
 * @throws `InvalidPayload` when `input` is not JSON (permanent: retrying cannot help)
 */
export async function contentKey(input: Json): Promise<string> {
  checkJson(input, 'memo content input');
  return hashJson(input);
}
