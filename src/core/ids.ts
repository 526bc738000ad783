/**
 * Identifiers: monotonic ULIDs and the id grammar.
 *
 * Run ids and job ids are 1–128 characters of `[A-Za-z0-9_-]` (they appear in keys, URLs and
 * lock names). Generated ids are 26-character ULIDs read from the injected clock, strictly
 * increasing within one generator even when the clock stands still, so they sort in creation
 * order (the queue's FIFO tie-breaker).
 */
import type { Clock } from './clock.ts';

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;
export const MAX_ID_LENGTH = 128;

/** Why `id` is not a valid run/job id, or undefined when it is. */
export function idProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return `must be a string, got ${id === null ? 'null' : typeof id}`;
  if (id.length === 0) return 'must not be empty';
  if (id.length > MAX_ID_LENGTH) return `exceeds maximum length of ${MAX_ID_LENGTH} characters`;
  if (!ID_PATTERN.test(id)) return 'must contain only [A-Za-z0-9_-]';
  return undefined;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Makes ULIDs: 48 bits of clock time, 80 bits of randomness, incremented within one millisecond. */
export class UlidGenerator {
  #clock: Clock;
  #lastTime = -1;
  #lastRandom: number[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  next(): string {
    // A clock that moved backwards keeps the last time so ids never decrease.
    const time = Math.max(Math.floor(this.#clock.now()), this.#lastTime);
    if (time === this.#lastTime) {
      increment(this.#lastRandom);
    } else {
      this.#lastTime = time;
      this.#lastRandom = randomDigits(16);
    }
    return encodeTime(time) + this.#lastRandom.map((d) => CROCKFORD[d]).join('');
  }
}

function encodeTime(time: number): string {
  let out = '';
  let t = time;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function randomDigits(n: number): number[] {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  // The top digit is kept below 16 so 2^79 increments fit before overflow is possible.
  return Array.from(bytes, (b, i) => (i === 0 ? b % 16 : b % 32));
}

function increment(digits: number[]): void {
  for (let i = digits.length - 1; i >= 0; i--) {
    const d = (digits[i] ?? 0) + 1;
    if (d < 32) {
      digits[i] = d;
      return;
    }
    digits[i] = 0;
  }
}

/** A random token for fencing claims: unguessable and never reused. */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
