/**
 * Keeps a delivery's lease alive while a runner's work is in flight (an HTTP request, a model
 * loading or generating), so the runtime's watchdog does not take slow but healthy work for a
 * hung step and redeliver it (a second paid request, a second generation). Two drivers:
 * - `touch()` on every sign of life (a stream chunk, a generated token). If the work stalls,
 *   extensions stop and the lease runs out, which is what should happen.
 * - `heartbeat(signal)` / `during(work)` while nothing can arrive yet (waiting for response
 *   headers or the network, a model loading, a forward pass): extends now and then every
 *   `leaseMs / 4` until the signal aborts or the work settles.
 *
 * Extensions are throttled to one per `leaseMs / 4` and never overlap (each is a fenced
 * IndexedDB write). A lost claim or a cancelled run (the extension rejects `ClaimLost` /
 * `CancelRequested`) is kept in `lost`, reported to `onLost`, and stops further extensions.
 * Other failures (storage trouble) are not fatal: the lease may still be valid, and the
 * runtime's watchdog ends the delivery if it is not. A `leaseMs` of 0 extends nothing.
 */
import type { Clock } from '../core/clock.ts';
import { isWorkflowError } from '../core/errors.ts';
import type { LeaseHandle } from '../runtime/types.ts';

export class LeaseKeeper {
  readonly #lease: LeaseHandle;
  readonly #ms: number;
  readonly #clock: Clock;
  readonly #onLost: ((reason: unknown) => void) | undefined;
  #lastAt = -Infinity;
  #inFlight: Promise<void> | undefined;
  /** Set once an extension was refused because the delivery is over (`ClaimLost` / `CancelRequested`). */
  lost: unknown = undefined;
  /** Extensions requested so far (for tests and inspection). */
  extensions = 0;

  /** `leaseMs`: the length of each extension, in ms on `clock`. */
  constructor(lease: LeaseHandle, leaseMs: number, clock: Clock, onLost?: (reason: unknown) => void) {
    this.#lease = lease;
    this.#ms = leaseMs;
    this.#clock = clock;
    this.#onLost = onLost;
  }

  /** Extends unless an extension happened within the last `leaseMs / 4` (or one is in flight, or the lease is lost). */
  touch(): void {
    if (this.#ms <= 0 || this.#inFlight || this.lost !== undefined) return;
    if (this.#clock.now() - this.#lastAt < this.#ms / 4) return;
    this.#lastAt = this.#clock.now();
    this.extensions++;
    this.#inFlight = this.#lease
      .extend(this.#ms)
      .catch((e: unknown) => {
        if (isWorkflowError(e, 'ClaimLost') || isWorkflowError(e, 'CancelRequested')) {
          this.lost = e;
          this.#onLost?.(e);
        }
      })
      .finally(() => {
        this.#inFlight = undefined;
      });
  }

  /** Extends now and then every `leaseMs / 4` until `signal` aborts. Never rejects. */
  async heartbeat(signal: AbortSignal): Promise<void> {
    if (this.#ms <= 0) return;
    while (!signal.aborted) {
      this.touch();
      await this.#clock.sleep(this.#ms / 4, signal).catch(() => undefined);
    }
  }

  /** Resolves or rejects as `work` does, with a heartbeat meanwhile. */
  async during<T>(work: Promise<T>): Promise<T> {
    if (this.#ms <= 0) return work;
    const done = new AbortController();
    const beat = this.heartbeat(done.signal);
    try {
      return await work;
    } finally {
      done.abort();
      await beat;
    }
  }

  /** Waits for an extension in flight, so its outcome (`lost`) is known. */
  async settled(): Promise<void> {
    await this.#inFlight;
  }
}
