/**
 * Streamed tokens to `step.progress`, in batches: the first token at once, then at most one
 * update per `intervalMs` carrying the whole text so far (and the reasoning and refusal so
 * far, once there are any: a long reasoning phase shows as it happens), and a last one when
 * the answer is complete. Each update reaches every open page live and is checkpointed in the run record by
 * the runtime (the latest one wins), so a page reloaded mid-generation reads the partial text
 * from `status().progress` at once. Batching bounds those checkpoint writes to 1000/intervalMs
 * per second, however fast the tokens come.
 *
 * A text that no longer fits in a progress update (the runtime's `maxPayloadBytes`) stops
 * being reported; the answer itself is unaffected.
 */
import type { Clock } from '../../core/clock.ts';
import type { Json } from '../../core/json.ts';
import type { Step } from '../../runtime/types.ts';
import type { TokenProgress } from '../token-progress.ts';
import type { PartialAnswer } from './completion.ts';

export class ProgressBatcher {
  readonly #step: Step;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  #lastAt = -Infinity;
  #latest: PartialAnswer | undefined;
  #timer: AbortController | undefined;
  /** Updates sent so far. */
  sent = 0;

  constructor(step: Step, intervalMs: number, clock: Clock) {
    this.#step = step;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
  }

  /** The answer so far changed. */
  update(answer: PartialAnswer): void {
    this.#latest = answer;
    const wait = this.#lastAt + this.#intervalMs - this.#clock.now();
    if (wait <= 0) return this.#flush();
    if (this.#timer) return;
    const timer = (this.#timer = new AbortController());
    this.#clock.sleep(wait, timer.signal).then(
      () => {
        this.#timer = undefined;
        this.#flush();
      },
      () => undefined,
    );
  }

  /** The answer is complete: one last update with the whole text. */
  finish(answer: PartialAnswer): void {
    this.stop();
    this.#latest = answer;
    this.#flush(true);
  }

  /** No more updates (the request failed or was aborted). */
  stop(): void {
    this.#timer?.abort();
    this.#timer = undefined;
    this.#latest = undefined;
  }

  #flush(done = false): void {
    const answer = this.#latest;
    if (answer === undefined) return;
    this.#latest = undefined;
    this.#lastAt = this.#clock.now();
    const update: TokenProgress = { kind: 'tokens', text: answer.text };
    if (answer.reasoning !== '') update.reasoning = answer.reasoning;
    if (answer.refusal !== '') update.refusal = answer.refusal;
    if (answer.toolCalls !== undefined && answer.toolCalls.length > 0) update.toolCalls = answer.toolCalls.map((c) => ({ ...c }));
    if (done) update.done = true;
    try {
      this.#step.progress(update as Json);
      this.sent++;
    } catch {
      // Too large for a progress update (or the step is over): reporting stops, the call goes on.
    }
  }
}
