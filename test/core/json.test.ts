import { describe, expect, it } from 'vitest';
import { isWorkflowError } from '../../src/core/errors.ts';
import { canonicalJson, checkJson, hashJson, utf8Length, type Json } from '../../src/core/json.ts';

function problemOf(value: unknown): unknown {
  try {
    checkJson(value, 'payload');
    return undefined;
  } catch (e) {
    if (!isWorkflowError(e)) throw e;
    return { name: e.name, problem: e.details.problem };
  }
}

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
}

describe('checkJson', () => {
  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['an empty string', ''],
    ['a number', 3.5],
    ['a negative zero', -0],
    ['booleans', [true, false]],
    ['nested structures', { a: [1, { b: null, c: ['x'] }], d: {} }],
    ['an object without prototype', Object.assign(Object.create(null) as object, { a: 1 })],
    ['a shared (non-cyclic) reference', (() => {
      const shared = { v: 1 };
      return { a: shared, b: [shared, shared] };
    })()],
  ])('accepts %s', (_, value) => {
    expect(problemOf(value)).toBeUndefined();
  });

  it.each([
    ['undefined', undefined, 'payload is undefined'],
    ['a function', () => 1, 'payload is function'],
    ['a symbol', Symbol('s'), 'payload is symbol'],
    ['a bigint', 10n, 'payload is bigint'],
    ['NaN', NaN, 'payload is NaN'],
    ['Infinity', Infinity, 'payload is Infinity'],
    ['-Infinity', -Infinity, 'payload is -Infinity'],
    ['a Date', new Date(0), 'payload is a Date'],
    ['a Map', new Map(), 'payload is a Map'],
    ['a class instance', new Point(1, 2), 'payload is a Point'],
    ['a typed array', new Uint8Array(2), 'payload is a Uint8Array'],
    ['an undefined property', { a: 1, b: undefined }, 'payload.b is undefined'],
    ['a deep NaN', { a: [{ b: [1, NaN] }] }, 'payload.a[0].b[1] is NaN'],
    ['a function in an array', [1, () => 2], 'payload[1] is function'],
    ['a hole in an array', [1, , 3], 'payload[1] is a hole'], // eslint-disable-line no-sparse-arrays
  ])('rejects %s with InvalidPayload naming its path', (_, value, problem) => {
    expect(problemOf(value)).toEqual({ name: 'InvalidPayload', problem });
  });

  it('rejects an object cycle and an array cycle', () => {
    const o: Record<string, unknown> = { a: { b: {} } };
    (o.a as Record<string, Record<string, unknown>>).b!.back = o;
    expect(problemOf(o)).toEqual({ name: 'InvalidPayload', problem: 'payload.a.b.back is a cycle' });
    const arr: unknown[] = [1];
    arr.push([arr]);
    expect(problemOf(arr)).toEqual({ name: 'InvalidPayload', problem: 'payload[1][0] is a cycle' });
  });

  it('returns the UTF-8 size of the JSON text', () => {
    expect(checkJson('hé', 'p')).toBe(5); // "hé" with its quotes: 1 + 1 + 2 + 1
    expect(checkJson({ a: [1, 2] }, 'p')).toBe(new TextEncoder().encode('{"a":[1,2]}').length);
    expect(checkJson('😀', 'p')).toBe(6);
  });

  it('accepts a value at the size limit and rejects one byte over with PayloadTooLarge', () => {
    const atLimit = 'x'.repeat(98); // 100 bytes with quotes
    expect(checkJson(atLimit, 'payload', 100)).toBe(100);
    let err: unknown;
    try {
      checkJson(atLimit + 'x', 'payload', 100);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'PayloadTooLarge', details: { what: 'payload', bytes: 101, maxBytes: 100 } });
  });

  it('names what it checked in the message', () => {
    expect(() => checkJson(undefined, 'KV value of "a"')).toThrow(/^KV value of "a" is not JSON/);
  });
});

describe('utf8Length', () => {
  it.each(['', 'ascii', 'é', '€', '😀', 'a😀b€c', '\u{10FFFF}', '\uD800', '\uDC00', '\uD800\uD800', '\uD800a', 'a\uDBFF'])(
    'agrees with TextEncoder on %j',
    (s) => {
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
    },
  );
});

describe('canonicalJson', () => {
  it('sorts object keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('gives equal strings for equal values built in different key orders', () => {
    expect(canonicalJson({ x: 1, y: [1, 2] })).toBe(canonicalJson({ y: [1, 2], x: 1 }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('encodes scalars as JSON.stringify does', () => {
    for (const v of [null, true, 0, -1.5, 'q"uote', '\n']) expect(canonicalJson(v)).toBe(JSON.stringify(v));
  });
});

describe('hashJson', () => {
  it('is the hex SHA-256 of the canonical JSON', async () => {
    // sha256('{"a":1}')
    expect(await hashJson({ a: 1 })).toBe('015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862');
  });

  it('ignores key order and distinguishes different values', async () => {
    const a: Json = { k: [1, { m: 'x', n: 'y' }], z: true };
    const b: Json = { z: true, k: [1, { n: 'y', m: 'x' }] };
    expect(await hashJson(a)).toBe(await hashJson(b));
    expect(await hashJson(a)).not.toBe(await hashJson({ ...b, z: false }));
    expect(await hashJson('1')).not.toBe(await hashJson(1));
  });
});
