/**
 * One execution of a durable function, for the delivery of step n of its run.
 *
 * The function runs from the top. Its durable calls (`run.step`, `run.sleep`, `run.waitForEvent`)
 * take positions 0, 1, 2, … in the order they are made, and position p is step p of the run:
 * - a call before n is replayed from the journal (checked against its recorded kind and name);
 * - the call at n is the live one: a step runs its `fn` (unless an earlier delivery recorded its
 *   result), a sleep or wait ends this delivery with `Outcome.next` after the delay or
 *   `Outcome.waitForEvent`;
 * - a call after n never resolves here: it is the next delivery's.
 * After a live step, the function goes on (its result is recorded first): when it returns, the
 * run ends in this delivery; when it makes a further durable call, the delivery ends with
 * `Outcome.next` and the next step's delivery replays to that call.
 *
 * Parallel calls (`Promise.all` of several `run.step`) thus run one after another, in the order
 * the calls were made, each its own step: deterministic, and never two of a run's steps at once.
 *
 * What the code between calls asks of `run.now()`/`run.random()` is recorded the first time and
 * replayed after; records still unwritten are written before any step's `fn` runs and before the
 * delivery ends, so no side effect and no later step ever depends on an unrecorded value.
 */
import type { Clock } from '../core/clock.ts';
import type { Json } from '../core/json.ts';
import { Outcome, StepError, type StepOutcome } from '../core/outcome.ts';
import type { Step } from '../runtime/types.ts';
import { isEnding, type Run, type RunEnding } from './definition.ts';
import { writeJournal, type CallKind, type Entry, type Journal, type JournalRecords, type JournalWrite } from './journal.ts';
import { checkStepResult } from './jsonable.ts';
import { KIND_WORDS, describeCall, mismatch, positionOf } from './mismatch.ts';

export interface ReplayDeps {
  journal: JournalRecords;
  clock: Clock;
  maxPayloadBytes: number;
}

/** How the delivery ended: an outcome for the runtime, or a throw (StepError rules). */
export type Finish = { kind: 'outcome'; outcome: StepOutcome; continues: boolean } | { kind: 'error'; error: unknown };

/** The payload of every step job after step 0: which run instance's journal to read. */
export interface StepMarker {
  instance: string;
}

function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

function copy<T>(value: T): T {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

export class Replay implements Run<unknown> {
  readonly runId: string;
  readonly workflow: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly #journal: Journal;
  readonly #step: Step;
  readonly #deps: ReplayDeps;
  readonly #n: number;
  readonly #input: Json;
  /** Records this execution produced that are not written yet (a wait's payload, now/random values, the head). */
  readonly #pending: JournalWrite[];
  #position = 0;
  #valueIndex = 0;
  /** The live step: set once its call is made, `done` once its result is recorded. */
  #live: { name: string; done: boolean } | undefined;
  #beyond = false;
  #finished = false;
  #finish!: (f: Finish) => void;
  readonly finished: Promise<Finish>;

  constructor(journal: Journal, step: Step, input: Json, pending: JournalWrite[], deps: ReplayDeps) {
    this.runId = step.runId;
    this.workflow = step.workflow;
    this.headers = step.headers;
    this.#journal = journal;
    this.#step = step;
    this.#deps = deps;
    this.#n = step.stepNumber;
    this.#input = input;
    this.#pending = pending;
    this.finished = new Promise<Finish>((resolve) => (this.#finish = resolve));
  }

  /** Runs `fn(run, input)` and resolves with how this delivery ends. */
  execute(fn: (run: Run<never>, input: never) => Promise<unknown>): Promise<Finish> {
    Promise.resolve()
      .then(() => fn(this as Run<never>, copy(this.#input) as never))
      .then(
        (r) => this.#returned(r),
        (e: unknown) => this.#end({ kind: 'error', error: e }),
      );
    return this.finished;
  }

  step<T>(name: string, fn: (step: Step<never, never>) => Promise<T>): Promise<T> {
    const at = this.#call('step', name, () => typeof fn === 'function' || 'its fn must be a function');
    if (at === undefined) return never();
    if (at !== 'live') return Promise.resolve(copy(at.v) as T);
    return this.#runLive(name, fn as unknown as (step: Step<never, never>) => Promise<unknown>) as Promise<T>;
  }

  sleep(name: string, ms: number): Promise<void> {
    const at = this.#call('sleep', name, () => (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) || 'ms must be a finite number >= 0');
    if (at === undefined) return never();
    if (at !== 'live') return Promise.resolve();
    void this.#timed({ k: 'sleep', n: name }, ms);
    return never();
  }

  waitForEvent<T = Json>(name: string, key: string, options: { timeoutMs?: number } = {}): Promise<T | null> {
    const timeoutMs = options?.timeoutMs;
    const at = this.#call('wait', name, () => {
      if (typeof key !== 'string' || key.length === 0 || key.length > 512) return 'the event key must be a string of 1 to 512 characters';
      return timeoutMs === undefined || (typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs >= 0) || 'timeoutMs must be a finite number >= 0';
    });
    if (at === undefined) return never();
    // Synchronously after #call: the position it took is the one before the current.
    if (at !== 'live') return Promise.resolve(copy(this.#received(this.#position - 1)!.value) as T | null);
    void this.#timed({ k: 'wait', n: name, key }, timeoutMs);
    return never();
  }

  now(): number {
    return this.#recorded(() => this.#deps.clock.now());
  }

  random(): number {
    return this.#recorded(() => Math.random());
  }

  fail(reason: string): RunEnding {
    return { '~ending': 'fail', reason: String(reason) };
  }

  cancel(reason: string): RunEnding {
    return { '~ending': 'cancel', reason: String(reason) };
  }

  // ---- internals ---------------------------------------------------------------------

  /**
   * Takes the next position for a call. @returns the recorded entry (replay), 'live', or
   * undefined when the call must never resolve here (a later step's, or the delivery ended).
   */
  #call(kind: CallKind, name: string, check: () => true | string): Entry | 'live' | undefined {
    if (this.#finished) return undefined;
    if (typeof name !== 'string' || name.length === 0 || name.length > 256) {
      this.#end({ kind: 'error', error: StepError.permanent(`run.${KIND_WORDS[kind]}: the name must be a string of 1 to 256 characters`) });
      return undefined;
    }
    const problem = check();
    if (problem !== true) {
      this.#end({ kind: 'error', error: StepError.permanent(`run.${KIND_WORDS[kind]}(${JSON.stringify(name)}): ${problem}`) });
      return undefined;
    }
    const p = this.#position++;
    const recorded = p <= this.#n ? this.#journal.entries[p] : undefined;
    if (recorded && (recorded.k !== kind || recorded.n !== name)) {
      this.#end({ kind: 'error', error: mismatch(this.workflow, this.runId, p, recorded, { k: kind, n: name }) });
      return undefined;
    }
    if (p < this.#n) {
      if (kind === 'wait' && this.#received(p) === undefined) {
        this.#end({ kind: 'error', error: StepError.permanent(`${positionOf(this.workflow, this.runId, p)}: what ${describeCall(recorded!)} received is not recorded (the run's journal was cleared)`) });
        return undefined;
      }
      return recorded;
    }
    if (p === this.#n) {
      if (kind === 'step') this.#live = { name, done: false };
      return 'live';
    }
    this.#beyond = true;
    if (this.#live?.done) void this.#continue();
    return undefined;
  }

  async #runLive(name: string, fn: (step: Step<never, never>) => Promise<unknown>): Promise<unknown> {
    try {
      let entry = this.#journal.entries[this.#n];
      if (entry === undefined) {
        // Side effects may depend on unrecorded values (a wait's payload, run.now()): record them first.
        if (this.#pending.some((w) => w.what !== 'head')) await this.#write([]);
        const result = await fn(this.#stepForFn());
        if (this.#finished) return never();
        if (result !== undefined) checkStepResult(result, name, this.#deps.maxPayloadBytes);
        const fresh: Entry = result === undefined ? { k: 'step', n: name } : { k: 'step', n: name, v: result as Json };
        [entry] = (await this.#write([{ what: 'entry', position: this.#n, value: fresh }])) as unknown as Entry[];
      }
      this.#live!.done = true;
      if (this.#beyond) {
        void this.#continue();
        return never();
      }
      return copy(entry!.v);
    } catch (e) {
      this.#end({ kind: 'error', error: e });
      return never();
    }
  }

  /** A live sleep or wait: recorded (with when it began), then the delivery ends with its outcome. */
  async #timed(entry: Entry, ms: number | undefined): Promise<void> {
    try {
      let recorded = this.#journal.entries[this.#n];
      if (recorded === undefined) {
        [recorded] = (await this.#write([{ what: 'entry', position: this.#n, value: { ...entry, at: this.#deps.clock.now() } }])) as unknown as Entry[];
      } else if (this.#pending.length > 0) {
        await this.#write([]);
      }
      // Measured from when the call was first recorded: a redelivery owes only what is left.
      const left = ms === undefined ? undefined : Math.max(0, recorded!.at! + ms - this.#deps.clock.now());
      const marker = this.#marker();
      if (entry.k === 'sleep') this.#end({ kind: 'outcome', outcome: Outcome.next(marker, { delayMs: left! }), continues: true });
      else this.#end({ kind: 'outcome', outcome: Outcome.waitForEvent(entry.key!, marker, left === undefined ? {} : { timeoutMs: left }), continues: true });
    } catch (e) {
      this.#end({ kind: 'error', error: e });
    }
  }

  /** After the live step, the code made its next durable call: this delivery continues the run. */
  async #continue(): Promise<void> {
    if (this.#finished) return;
    try {
      if (this.#pending.length > 0) await this.#write([]);
      this.#end({ kind: 'outcome', outcome: Outcome.next(this.#marker()), continues: true });
    } catch (e) {
      this.#end({ kind: 'error', error: e });
    }
  }

  #returned(r: unknown): void {
    if (this.#finished) return;
    if (this.#position < this.#n) {
      this.#end({ kind: 'error', error: mismatch(this.workflow, this.runId, this.#position, this.#journal.entries[this.#position]!, undefined) });
    } else if (this.#live && !this.#live.done) {
      this.#end({ kind: 'error', error: StepError.permanent(`workflow ${JSON.stringify(this.workflow)} returned while its step ${JSON.stringify(this.#live.name)} was still running: await every step`) });
    } else if (isEnding(r)) {
      this.#end({ kind: 'outcome', outcome: r['~ending'] === 'fail' ? Outcome.fail(r.reason) : Outcome.cancel(r.reason), continues: false });
    } else {
      this.#end({ kind: 'outcome', outcome: Outcome.succeed(r === undefined ? null : (r as Json)), continues: false });
    }
  }

  /** What the wait at `p` received: recorded, or observed by this delivery and not yet written. */
  #received(p: number): { value: Json } | undefined {
    if (this.#journal.received.has(p)) return { value: this.#journal.received.get(p)! };
    const w = this.#pending.find((x) => x.what === 'received' && x.position === p);
    return w ? { value: w.value as Json } : undefined;
  }

  #recorded(make: () => number): number {
    const i = this.#valueIndex++;
    const known = this.#journal.values[i];
    if (known !== undefined) return known;
    const pending = this.#pending.find((w) => w.what === 'value' && w.index === i);
    if (pending) return pending.value as number;
    const value = make();
    this.#pending.push({ what: 'value', index: i, value });
    return value;
  }

  /**
   * Writes the pending records and `extra` (fenced, in one transaction).
   * @returns the stored values of `extra`
   * @throws StepError transient when a recorded value differs from the one this execution used
   */
  async #write(extra: JournalWrite[]): Promise<Json[]> {
    const pending = this.#pending.splice(0);
    const stored = await writeJournal(this.#deps.journal, this.#journal, { jobId: this.#step.jobId, attempts: this.#step.attempts }, [...pending, ...extra]);
    for (const [i, w] of pending.entries()) {
      if (w.what === 'value' && stored[i] !== w.value) throw StepError.transient('a value from run.now()/run.random() was recorded by another delivery: replaying');
    }
    return stored.slice(pending.length);
  }

  #stepForFn(): Step<never, never> {
    const { event: _event, ...rest } = this.#step;
    return { ...rest, payload: copy(this.#input) } as unknown as Step<never, never>;
  }

  #marker(): Json {
    return { instance: this.#journal.instance } satisfies StepMarker;
  }

  #end(f: Finish): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#finish(f);
  }
}
