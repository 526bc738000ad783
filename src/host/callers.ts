/**
 * Which page clients are still there, for the calls that outlive a round trip (`wait`). A
 * client holds its caller lock (`names.callerLock`) until it closes or its page dies; the worker
 * queues on that lock while the client has a wait pending, and is granted it exactly when the
 * client is gone: its waits are then abandoned (no more reads for a caller no one will answer).
 * One queued request per client, whatever its number of waits; withdrawn when its last wait ends.
 */
import { invalidArgument } from '../core/errors.ts';
import { names } from '../rpc/protocol.ts';
import type { LockManagerLike } from './locks.ts';

interface Caller {
  gone: AbortController;
  /** Withdraws the queued lock request. */
  withdraw: AbortController;
  users: number;
}

export interface CallerLease {
  /** Aborted once the caller is gone. */
  signal: AbortSignal | undefined;
  /** Ends this use (call when the call settles). */
  done(): void;
}

export class Callers {
  readonly #locks: LockManagerLike | undefined;
  readonly #pattern: RegExp;
  readonly #byLock = new Map<string, Caller>();

  constructor(locks: LockManagerLike | undefined, db: string) {
    this.#locks = locks;
    this.#pattern = new RegExp(`^${escape(names.callerLock(db, ''))}[0-9a-f]{24}$`);
  }

  /** How many clients are watched (for tests). */
  get size(): number {
    return this.#byLock.size;
  }

  /**
   * A signal aborted when the client holding `lock` is gone; none without a lock (an older
   * client, or no Web Locks). @throws `InvalidArgument` for anything but a caller lock of this database
   */
  use(lock: unknown): CallerLease {
    if (lock === undefined || !this.#locks) return { signal: undefined, done: () => undefined };
    if (typeof lock !== 'string' || !this.#pattern.test(lock)) throw invalidArgument('caller', 'must be the caller lock of a client of this database', lock);
    let c = this.#byLock.get(lock);
    if (!c) {
      const entry: Caller = { gone: new AbortController(), withdraw: new AbortController(), users: 0 };
      this.#byLock.set(lock, entry);
      this.#locks
        .request(lock, { signal: entry.withdraw.signal }, () => {
          if (this.#byLock.get(lock) === entry) this.#byLock.delete(lock);
          entry.gone.abort();
        })
        .catch(() => undefined); // withdrawn
      c = entry;
    }
    const caller = c;
    caller.users++;
    let ended = false;
    return {
      signal: caller.gone.signal,
      done: () => {
        if (ended) return;
        ended = true;
        if (--caller.users > 0 || caller.gone.signal.aborted) return;
        if (this.#byLock.get(lock) === caller) this.#byLock.delete(lock);
        caller.withdraw.abort();
      },
    };
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
