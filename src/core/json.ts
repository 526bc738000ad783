/**
 * JSON values: validation, size and canonical hashing.
 *
 * Everything Stepwise stores for a caller (inputs, payloads, results, KV values, memo) must be
 * plain JSON: it is structured-cloned into IndexedDB and across ports, and hashed for
 * idempotency, so `undefined`, functions, class instances, NaN and cycles are rejected up front
 * rather than silently changed by a clone or by `JSON.stringify`.
 */
import { WorkflowError } from './errors.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Checks that `value` is plain JSON and returns its UTF-8 size as `JSON.stringify` would encode it.
 * @throws WorkflowError `InvalidPayload` naming the path of the first offending value,
 *   `PayloadTooLarge` when the size exceeds `maxBytes`.
 */
export function checkJson(value: unknown, what: string, maxBytes = Infinity): number {
  const problem = findNonJson(value, what, new Set());
  if (problem) throw new WorkflowError('InvalidPayload', `${what} is not JSON: ${problem}`, { what, problem });
  const bytes = utf8Length(JSON.stringify(value));
  if (bytes > maxBytes) {
    throw new WorkflowError('PayloadTooLarge', `${what} is ${bytes} bytes, above the limit of ${maxBytes}`, {
      what,
      bytes,
      maxBytes,
    });
  }
  return bytes;
}

function findNonJson(value: unknown, path: string, seen: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${value}`;
    case 'object': {
      if (value === null) return undefined;
      if (seen.has(value)) return `${path} is a cycle`;
      if (Array.isArray(value)) {
        seen.add(value);
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) return `${path}[${i}] is a hole`;
          const p = findNonJson(value[i], `${path}[${i}]`, seen);
          if (p) return p;
        }
        seen.delete(value);
        return undefined;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        return `${path} is a ${(value as object).constructor?.name ?? 'non-plain object'}`;
      }
      seen.add(value);
      for (const key of Object.keys(value)) {
        const p = findNonJson((value as Record<string, unknown>)[key], `${path}.${key}`, seen);
        if (p) return p;
      }
      seen.delete(value);
      return undefined;
    }
    default:
      return `${path} is ${typeof value}`;
  }
}

/** UTF-8 byte length of a string without allocating an encoded copy. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(s.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else n += 3; // a lone surrogate is encoded as U+FFFD, 3 bytes, like TextEncoder does
  }
  return n;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** JSON with object keys sorted at every level: equal values give equal strings. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as Json)}`).join(',')}}`;
}

/** Hex SHA-256 of the canonical JSON of `value` (crypto.subtle: browsers, workers and Node). */
export async function hashJson(value: Json): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(value));
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  let hex = '';
  for (const b of new Uint8Array(digest)) hex += b.toString(16).padStart(2, '0');
  return hex;
}
