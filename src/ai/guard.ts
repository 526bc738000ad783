/**
 * One model call's abort and lease handling inside a step:
 * - the request is aborted when the step's signal aborts (an external cancel), when the
 *   delivery loses its lease, or when the caller's own `abortSignal` aborts;
 * - the lease is extended while nothing can arrive yet (a heartbeat until the answer or the
 *   first stream part), then on every arriving part (`touch`), throttled by the runners'
 *   `LeaseKeeper`. A stalled stream stops extending, so the watchdog ends a hung delivery.
 */
import type { Clock } from '../core/clock.ts';
import type { Step } from '../runtime/types.ts';
import { LeaseKeeper } from '../runners/lease-keeper.ts';
import type { Redactor } from '../runners/llm/redactor.ts';
import { modelError } from './errors.ts';

export class CallGuard {
  readonly #controller = new AbortController();
  readonly #waiting = new AbortController();
  readonly #lease: LeaseKeeper;
  readonly #step: Step;
  readonly #caller: AbortSignal | undefined;
  readonly #clock: Clock;
  readonly #redactor: Redactor;
  readonly #onStepAbort = () => this.#controller.abort(this.#step.signal.reason);
  readonly #onCallerAbort = () => this.#controller.abort(this.#caller?.reason);

  constructor(step: Step, caller: AbortSignal | undefined, leaseMs: number, clock: Clock, redactor: Redactor) {
    this.#step = step;
    this.#caller = caller;
    this.#clock = clock;
    this.#redactor = redactor;
    if (step.signal.aborted) this.#onStepAbort();
    else step.signal.addEventListener('abort', this.#onStepAbort, { once: true });
    if (caller?.aborted) this.#onCallerAbort();
    else caller?.addEventListener('abort', this.#onCallerAbort, { once: true });
    this.#lease = new LeaseKeeper(step.lease, leaseMs, clock, (lost) => this.#controller.abort(lost));
    void this.#lease.heartbeat(AbortSignal.any([this.#waiting.signal, this.#controller.signal]));
  }

  /** The signal the provider's request gets. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** A stream part arrived: the heartbeat gives way to per-part extensions. */
  touch(): void {
    this.#waiting.abort();
    this.#lease.touch();
  }

  /**
   * What to throw for a failure of the call: the abort reason when the step was cancelled or
   * lost its lease (the runtime knows those), the provider's own error when the caller aborted
   * (the SDK's contract), else the mapped `StepError`.
   */
  error(e: unknown): unknown {
    if (this.#controller.signal.aborted) {
      if (this.#caller?.aborted && this.#controller.signal.reason === this.#caller.reason) return e;
      return this.#controller.signal.reason;
    }
    return modelError(e, this.#redactor, this.#clock.now());
  }

  /** The call is over (answered, failed or abandoned). Idempotent. */
  done(): void {
    this.#waiting.abort();
    this.#step.signal.removeEventListener('abort', this.#onStepAbort);
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }

  /** Abandons the request (the caller cancelled the stream). */
  abort(reason: unknown): void {
    this.#controller.abort(reason);
    this.done();
  }
}
