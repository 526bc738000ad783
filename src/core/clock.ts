/**
 * Time, injected. Every timestamp and every timer in Stepwise goes through a `Clock`, so a
 * `MockClock` moves delays, backoff, leases, event timeouts and retention together.
 *
 * Invariant: `sleep` never resolves before `now()` has reached its due time.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Resolves once `ms` have passed on this clock, or rejects with the signal's reason when it
   * aborts first. `ms <= 0` resolves on the next macrotask-free tick.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('aborted', 'AbortError');
}

/** Wall-clock time and real timers. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export const systemClock: Clock = new SystemClock();

interface Sleeper {
  dueAt: number;
  seq: number;
  resolve: () => void;
}

/**
 * A clock that only moves when told to. Sleepers wake, in due order, when `advance`/`set`
 * reaches their due time; a sleep of 0 resolves at once (on a microtask).
 */
export class MockClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];
  #seq = 0;

  constructor(startMs = 1_700_000_000_000) {
    if (!Number.isFinite(startMs)) throw new TypeError('MockClock start must be a finite number of ms');
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` (>= 0) and wakes every sleeper now due. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('MockClock.advance takes a finite ms >= 0');
    this.set(this.#now + ms);
  }

  /** Sets the time. Moving backwards is allowed (a wall-clock jump) and wakes nobody. */
  set(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError('MockClock.set takes a finite ms');
    this.#now = ms;
    const due = this.#sleepers.filter((s) => s.dueAt <= ms).sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq);
    if (due.length === 0) return;
    this.#sleepers = this.#sleepers.filter((s) => s.dueAt > ms);
    for (const s of due) s.resolve();
  }

  /** How many timers are waiting: lets a test know the runtime went idle. */
  get pendingTimers(): number {
    return this.#sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      if (!(ms > 0)) return resolve();
      const sleeper: Sleeper = {
        dueAt: this.#now + ms,
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }
}
