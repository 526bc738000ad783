/**
 * Keeps the delivery's lease alive while a request is in flight, so the runtime's watchdog
 * does not take a slow but healthy answer for a hung step (and redeliver it: a second paid
 * request). Two drivers:
 * - `touch()` on every arriving chunk of a stream: tokens arriving = the step is alive. If the
 *   stream stalls, extensions stop and the lease runs out, which is what should happen.
 * - `heartbeat()` while nothing can arrive yet (waiting for response headers, a non-streamed
 *   body, or the network to come back), bounded by the request timeout or by the step's signal.
 *
 * Extensions are throttled to one per `leaseMs / 4` and never overlap (each is a fenced
 * IndexedDB write). A lost claim or a cancelled run (the extension rejects `ClaimLost` /
 * `CancelRequested`) is reported to `onLost`, which aborts the request.
 */
import type { Clock } from '../../core/clock.ts';
import { isWorkflowError } from '../../core/errors.ts';
import type { LeaseHandle } from '../../runtime/types.ts';

export class LeaseKeeper {
  readonly #lease: LeaseHandle;
  readonly #ms: number;
  readonly #clock: Clock;
  readonly #onLost: (reason: unknown) => void;
  #lastAt = -Infinity;
  #inFlight: Promise<void> | undefined;
  /** Extensions requested so far (for tests and inspection). */
  extensions = 0;

  constructor(lease: LeaseHandle, leaseMs: number, clock: Clock, onLost: (reason: unknown) => void) {
    this.#lease = lease;
    this.#ms = leaseMs;
    this.#clock = clock;
    this.#onLost = onLost;
  }

  /** Extends unless an extension happened within the last `leaseMs / 4`. */
  touch(): void {
    if (this.#ms <= 0 || this.#inFlight) return;
    if (this.#clock.now() - this.#lastAt < this.#ms / 4) return;
    this.#extend();
  }

  /** Extends now and then every `leaseMs / 4` until `signal` aborts. Never rejects. */
  async heartbeat(signal: AbortSignal): Promise<void> {
    if (this.#ms <= 0) return;
    while (!signal.aborted) {
      this.touch();
      await this.#clock.sleep(this.#ms / 4, signal).catch(() => undefined);
    }
  }

  /** Waits for an extension in flight (so a test or a settle sees its effect). */
  async settled(): Promise<void> {
    await this.#inFlight;
  }

  #extend(): void {
    this.#lastAt = this.#clock.now();
    this.extensions++;
    this.#inFlight = this.#lease
      .extend(this.#ms)
      .catch((e: unknown) => {
        if (isWorkflowError(e, 'ClaimLost') || isWorkflowError(e, 'CancelRequested')) this.#onLost(e);
        // Other failures (storage trouble) are not fatal: the lease may still be valid, and
        // the runtime's watchdog ends the delivery if it is not.
      })
      .finally(() => {
        this.#inFlight = undefined;
      });
  }
}
