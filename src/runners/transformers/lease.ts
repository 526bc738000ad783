/**
 * Keeps a delivery's lease alive while a model works, so the runtime's watchdog does not take a
 * long but healthy generation for a hung step and redeliver it (a second, wasted generation).
 * - `touch()` on every generated token: tokens arriving = the step is alive. If generation
 *   stalls, extensions stop and the lease runs out, which is what should happen.
 * - `during(promise)` while nothing can arrive (a model loading, waiting for a pipeline another
 *   step uses, an embedding batch): extends now and every `leaseMs / 4` until it settles.
 *
 * Extensions are throttled to one per `leaseMs / 4` and never overlap (each is a fenced
 * IndexedDB write). A lost claim or a cancelled run (`ClaimLost` / `CancelRequested`) is kept in
 * `lost`: the caller stops at the next token with it. Other failures (storage trouble) are not
 * fatal: the lease may still be valid, and the watchdog ends the delivery if it is not.
 */
import type { Clock } from '../../core/clock.ts';
import { isWorkflowError } from '../../core/errors.ts';
import type { LeaseHandle } from '../../runtime/types.ts';
import { untilAborted } from './abort.ts';
import { acquire } from './pipelines.ts';

export class LeaseKeeper {
  readonly #lease: LeaseHandle;
  readonly #ms: number;
  readonly #clock: Clock;
  #lastAt = -Infinity;
  #inFlight: Promise<void> | undefined;
  /** Set once an extension was refused because the delivery is over. */
  lost: unknown = undefined;

  constructor(lease: LeaseHandle, leaseMs: number, clock: Clock) {
    this.#lease = lease;
    this.#ms = leaseMs;
    this.#clock = clock;
  }

  /** Extends unless an extension happened within the last `leaseMs / 4`. */
  touch(): void {
    if (this.#ms <= 0 || this.#inFlight || this.lost !== undefined) return;
    if (this.#clock.now() - this.#lastAt < this.#ms / 4) return;
    this.#lastAt = this.#clock.now();
    this.#inFlight = this.#lease
      .extend(this.#ms)
      .catch((e: unknown) => {
        if (isWorkflowError(e, 'ClaimLost') || isWorkflowError(e, 'CancelRequested')) this.lost = e;
      })
      .finally(() => {
        this.#inFlight = undefined;
      });
  }

  /** Resolves or rejects as `work` does, extending the lease every `leaseMs / 4` meanwhile. */
  async during<T>(work: Promise<T>): Promise<T> {
    if (this.#ms <= 0) return work;
    const done = new AbortController();
    const beat = (async () => {
      while (!done.signal.aborted) {
        this.touch();
        await this.#clock.sleep(this.#ms / 4, done.signal).catch(() => undefined);
      }
    })();
    try {
      return await work;
    } finally {
      done.abort();
      await beat;
    }
  }

  /**
   * Takes `pipeline` for this step (see `acquire`), extending the lease while it waits; stops
   * waiting when `signal` aborts (the turn, once it comes, is passed on at once).
   */
  async take(pipeline: object, signal: AbortSignal): Promise<() => void> {
    const turn = acquire(pipeline);
    try {
      return await untilAborted(this.during(turn), signal);
    } catch (e) {
      void turn.then((release) => release());
      throw e;
    }
  }

  /** Waits for an extension in flight, so its outcome (`lost`) is known. */
  async settled(): Promise<void> {
    await this.#inFlight;
  }
}
