/**
 * What the AI SDK hands around (call parameters, results, stream parts, messages) as JSON, and
 * back. Those values are JSON except for a few kinds the SDK documents: `Uint8Array` file
 * data, `Date` timestamps, `URL` file references, and `undefined` optional fields. The codec
 * tags the first three so that a recorded answer replays with the same types the provider
 * gave (a `Date` stays a `Date`), and drops `undefined` like `JSON.stringify` does.
 *
 * A tag is an object with the single key `$stepwise`; an SDK value with that key is not
 * expected (it is encoded as is and would decode as a tag).
 */
import type { Json } from '../core/json.ts';

const TAG = '$stepwise';

/**
 * The JSON form of `value`. Functions, symbols and `AbortSignal`s are dropped (they are no
 * data); other class instances are encoded by their own enumerable fields.
 */
export function encodeJson(value: unknown): Json {
  return encode(value, new Set()) ?? null;
}

function encode(value: unknown, seen: Set<object>): Json | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const obj = value as object;
  if (obj instanceof Uint8Array) return { [TAG]: 'bytes', base64: toBase64(obj) };
  if (obj instanceof ArrayBuffer) return { [TAG]: 'bytes', base64: toBase64(new Uint8Array(obj)) };
  if (obj instanceof Date) return { [TAG]: 'date', iso: Number.isNaN(obj.getTime()) ? '' : obj.toISOString() };
  if (obj instanceof URL) return { [TAG]: 'url', href: obj.href };
  if (typeof AbortSignal !== 'undefined' && obj instanceof AbortSignal) return undefined;
  if (seen.has(obj)) return null; // a cycle: not data the SDK documents
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((v: unknown) => encode(v, seen) ?? null);
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(obj)) {
      const e = encode(v, seen);
      if (e !== undefined) out[k] = e;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

/** The SDK value `encodeJson` made `json` from (bytes as `Uint8Array`, dates as `Date`, URLs as `URL`). */
export function decodeJson(json: Json): unknown {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map(decodeJson);
  const tag = json[TAG];
  if (typeof tag === 'string') {
    if (tag === 'bytes') return fromBase64(String(json['base64'] ?? ''));
    if (tag === 'date') return new Date(String(json['iso'] ?? ''));
    if (tag === 'url') return new URL(String(json['href'] ?? ''));
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) out[k] = decodeJson(v);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
