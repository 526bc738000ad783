/**
 * Test harness for runtime scenarios (after taquba's fresh_queue_with_mock_clock): a fresh
 * database, a MockClock, fast retry (no backoff delay, no jitter), and small named fakes for runners and hooks.
 */
import { MockClock } from '../../src/core/clock.ts';
import type { Json } from '../../src/core/json.ts';
import type { StepOutcome } from '../../src/core/outcome.ts';
import type { RunOutcome } from '../../src/core/types.ts';
import type { RuntimeOptions } from '../../src/runtime/options.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import type { Step, StepRunner, TerminalEffects, TerminalHook } from '../../src/runtime/types.ts';
import { freshStoreOptions } from '../support/idb.ts';

export const T0 = 1_700_000_000_000;

export interface Fresh {
  runtime: Runtime;
  clock: MockClock;
  db: { name: string; indexedDB: IDBFactory; IDBKeyRange: typeof IDBKeyRange };
  /** Opens another runtime on the same database (a restart, or a second instance). */
  reopen(overrides?: Partial<RuntimeOptions>): Promise<Runtime>;
}

/** A runtime on a fresh database with a MockClock and fast retry; not started unless `start`. */
export async function freshRuntime(options: Partial<RuntimeOptions> & { start?: boolean; clockStart?: number } = {}): Promise<Fresh> {
  const { start = true, clockStart = T0, ...rest } = options;
  const db = await freshStoreOptions();
  const clock = (rest.clock as MockClock | undefined) ?? new MockClock(clockStart);
  const base: RuntimeOptions = {
    workflows: { wf: scriptedRunner([Outcome_succeed('done')]) },
    retry: { baseDelayMs: 0, jitter: 0 },
    ...rest,
    ...db,
    clock,
  };
  const runtime = await Runtime.open(base);
  if (start) await runtime.start();
  return {
    runtime,
    clock,
    db,
    reopen: async (overrides = {}) => Runtime.open({ ...base, ...overrides, ...db, clock }),
  };
}

function Outcome_succeed(result: Json): StepOutcome {
  return { kind: 'succeed', result };
}

/** Returns the given outcomes in order (the last one repeats); records every step it saw. */
export function scriptedRunner(outcomes: (StepOutcome | ((s: Step) => StepOutcome | Promise<StepOutcome>))[]): StepRunner & { calls: Step[] } {
  const calls: Step[] = [];
  const runner = async (step: Step) => {
    const i = calls.length;
    calls.push(step);
    const o = outcomes[Math.min(i, outcomes.length - 1)]!;
    return typeof o === 'function' ? o(step) : o;
  };
  return Object.assign(runner, { calls });
}

/** A runner that announces each entry and blocks until released. */
export function gatedRunner(result: (s: Step) => StepOutcome | Promise<StepOutcome>): StepRunner & {
  calls: Step[];
  entered: () => Promise<Step>;
  release: () => void;
} {
  const calls: Step[] = [];
  let gate = deferred<void>();
  let entry = deferred<Step>();
  const runner = async (step: Step) => {
    calls.push(step);
    entry.resolve(step);
    await gate.promise;
    return result(step);
  };
  return Object.assign(runner, {
    calls,
    entered: () => entry.promise,
    release: () => {
      gate.resolve();
      gate = deferred<void>();
      entry = deferred<Step>();
    },
  });
}

/** A hook that records every outcome it receives. */
export function recordingHook(name = 'recorder', onCall?: (o: RunOutcome, e: TerminalEffects, call: number) => Promise<void> | void): TerminalHook & { outcomes: RunOutcome[] } {
  const outcomes: RunOutcome[] = [];
  return {
    name,
    outcomes,
    async onTerminal(o, e) {
      outcomes.push(o);
      await onCall?.(o, e, outcomes.length);
    },
  };
}

export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Polls `cond` (real time, short steps) until true; fails after `ms`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Lets the runtime run for a while of real time without advancing the mock clock (a settle window). */
export function settle(ms = 50): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
