import { describe, expect, it } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import { MAX_ID_LENGTH, UlidGenerator, idProblem, randomToken } from '../../src/core/ids.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function decodeTime(ulid: string): number {
  let t = 0;
  for (const c of ulid.slice(0, 10)) t = t * 32 + CROCKFORD.indexOf(c);
  return t;
}

describe('idProblem', () => {
  it.each(['a', 'run-1', 'user_42', 'ABC-def_123', 'a'.repeat(MAX_ID_LENGTH)])('accepts %j', (id) => {
    expect(idProblem(id)).toBeUndefined();
  });

  it.each([
    ['', 'must not be empty'],
    ['a'.repeat(MAX_ID_LENGTH + 1), 'exceeds maximum length of 128 characters'],
    ['has:colon', 'must contain only [A-Za-z0-9_-]'],
    ['has space', 'must contain only [A-Za-z0-9_-]'],
    ['has/slash', 'must contain only [A-Za-z0-9_-]'],
    ['dot.ted', 'must contain only [A-Za-z0-9_-]'],
    ['ünicode', 'must contain only [A-Za-z0-9_-]'],
    ['trailing\n', 'must contain only [A-Za-z0-9_-]'],
  ])('rejects %j: %s', (id, problem) => {
    expect(idProblem(id)).toBe(problem);
  });

  it.each([
    [42, 'must be a string, got number'],
    [null, 'must be a string, got null'],
    [undefined, 'must be a string, got undefined'],
    [{}, 'must be a string, got object'],
  ])('rejects the non-string %j', (id, problem) => {
    expect(idProblem(id)).toBe(problem);
  });
});

describe('UlidGenerator', () => {
  it('makes 26-character Crockford ULIDs that encode the clock time and satisfy the id grammar', () => {
    const clock = new MockClock(1_700_000_000_000);
    const id = new UlidGenerator(clock).next();
    expect(id).toMatch(ULID);
    expect(decodeTime(id)).toBe(1_700_000_000_000);
    expect(idProblem(id)).toBeUndefined();
  });

  it('makes strictly increasing ids within one millisecond of a frozen clock', () => {
    const gen = new UlidGenerator(new MockClock(1_700_000_000_000));
    const ids = Array.from({ length: 1000 }, () => gen.next());
    expect(new Set(ids.map((id) => id.slice(0, 10))).size).toBe(1);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
  });

  it('sorts ids of later milliseconds after earlier ones', () => {
    const clock = new MockClock(1_700_000_000_000);
    const gen = new UlidGenerator(clock);
    const a = gen.next();
    clock.advance(1);
    const b = gen.next();
    expect(b > a).toBe(true);
    expect(decodeTime(b)).toBe(1_700_000_000_001);
  });

  it('keeps ids increasing when the clock moves backwards', () => {
    const clock = new MockClock(1_700_000_000_000);
    const gen = new UlidGenerator(clock);
    const a = gen.next();
    clock.set(1_600_000_000_000);
    const b = gen.next();
    expect(b > a).toBe(true);
    expect(decodeTime(b)).toBe(1_700_000_000_000);
  });

  it('carries an increment across random digits', () => {
    // Drive many increments: every id must still be larger and well-formed.
    const gen = new UlidGenerator(new MockClock(0));
    let prev = gen.next();
    for (let i = 0; i < 5000; i++) {
      const id = gen.next();
      expect(id > prev).toBe(true);
      prev = id;
    }
    expect(prev).toMatch(ULID);
  });

  it('gives independent generators different ids for the same millisecond', () => {
    const clock = new MockClock(1_700_000_000_000);
    expect(new UlidGenerator(clock).next()).not.toBe(new UlidGenerator(clock).next());
  });
});

describe('randomToken', () => {
  it('makes 24 hex characters, different every time', () => {
    const tokens = new Set(Array.from({ length: 100 }, randomToken));
    expect(tokens.size).toBe(100);
    for (const t of tokens) expect(t).toMatch(/^[0-9a-f]{24}$/);
  });
});
