/**
 * `workflow()`: a durable function as a workflow definition, and the types the rest of the
 * package infers from it.
 *
 * A definition is plain data (no class, no symbol): the runtime recognises it by its
 * `~workflow` field, so a definition made by one copy of this module (an app that bundles
 * `stepwise/worker` twice) is still recognised by another. `~types` is a type carrier only,
 * never present at run time, from which `WorkflowInput`/`WorkflowResult` read the types a
 * typed client will check `submit` and `wait` against.
 */
import { invalidArgument } from '../core/errors.ts';
import type { Json } from '../core/json.ts';
import type { Step } from '../runtime/types.ts';
import type { Checked } from './jsonable.ts';
import { isStandardSchema, type InferSchemaInput, type InferSchemaOutput, type StandardSchemaV1 } from './standard-schema.ts';

/** What `run.fail(reason)` and `run.cancel(reason)` return: `return` it to end the run that way. */
export interface RunEnding {
  readonly '~ending': 'fail' | 'cancel';
  readonly reason: string;
}

/** The handle a durable function gets for one execution of its run. */
export interface Run<Input = unknown> {
  readonly runId: string;
  readonly workflow: string;
  /** The run's user headers (reserved `workflow.` keys stripped). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * One step of the run, executed at least once and completed at most once: `fn` gets the step's
   * `Step` (memo, progress, signal, lease, effects, attempts; `payload` is the run's input) and
   * resolves with JSON (or nothing). Once completed, every later execution of the function gets
   * the recorded value back without calling `fn`. A throw follows `StepError`'s rules (transient:
   * retried with backoff up to `maxAttempts`; permanent: the run fails); it never reaches the
   * function, so a `try` around `run.step` does not see it.
   */
  step<T, Progress = Json>(name: string, fn: (step: Step<Input, Progress>) => Promise<T & Checked<T>>): Promise<T>;
  /** A durable delay of `ms` on the runtime's clock (a step of its own; survives restarts). */
  sleep(name: string, ms: number): Promise<void>;
  /**
   * Waits for `sendEvent(key, payload)` (also one sent before the wait: it is buffered) and
   * resolves with its payload, or with `null` after `timeoutMs` (no timeout: waits forever).
   * One waiter per key: a second run waiting on the same key fails `EventWaiterExists`.
   */
  waitForEvent<T = Json>(name: string, key: string, options?: { timeoutMs?: number }): Promise<T | null>;
  /** The clock's time, recorded: the same value on every execution of this point of the code. */
  now(): number;
  /** `Math.random()`, recorded like `now()`. */
  random(): number;
  /** `return run.fail(reason)`: the run ends `failed` with this error (no dead letter). */
  fail(reason: string): RunEnding;
  /** `return run.cancel(reason)`: the run ends `cancelled` with this reason. */
  cancel(reason: string): RunEnding;
}

export type WorkflowFunction<Input, Result> = (run: Run<Input>, input: Input) => Promise<Result | RunEnding>;

export interface WorkflowOptions {
  /**
   * The version of this code, pinned on each run when it starts: a run only ever replays the
   * version it started on. Give a new version to a change that reorders, renames or removes
   * steps, and keep the old definition in `previous` until its runs have ended.
   */
  version?: string;
  /** Older versions of this workflow, still replaying the runs that started on them. */
  previous?: readonly AnyWorkflow[];
}

/** What the runtime reads from a definition. */
export interface WorkflowInternals {
  readonly fn: (run: Run<never>, input: never) => Promise<unknown>;
  readonly input: StandardSchemaV1 | undefined;
  readonly version: string | null;
  readonly previous: readonly AnyWorkflow[];
}

/**
 * A durable function definition, usable wherever a `StepRunner` goes in `workflows`.
 * `Input` is what the function receives, `Result` what the run succeeds with, `SubmitInput`
 * what `submit` takes (the schema's input type; `Input` without a schema).
 */
export interface Workflow<Input = unknown, Result = unknown, SubmitInput = Input> {
  readonly '~workflow': WorkflowInternals;
  /** Type carrier only: never present at run time. */
  readonly '~types'?: { readonly input: SubmitInput; readonly output: Input; readonly result: Result } | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the widest definition, for `workflows` maps
export type AnyWorkflow = Workflow<any, any, any>;

/** The input `submit` takes for workflow `W` (a `StepRunner` takes any JSON). */
export type WorkflowInput<W> = W extends Workflow<unknown, unknown, unknown> ? NonNullable<W['~types']>['input'] : Json;
/** The result a run of `W` succeeds with (`null` when its function returns nothing). */
export type WorkflowResult<W> = W extends Workflow<unknown, unknown, unknown> ? NullForVoid<NonNullable<W['~types']>['result']> : Json;
type NullForVoid<T> = [T] extends [undefined | void] ? null : T;

/** A definition's result type: the function's resolved value without the `run.fail`/`run.cancel` endings. */
type ResultOf<R> = Exclude<R, RunEnding>;

// `R & Checked<…>` compiles exactly when what the function resolves with (but its endings) is JSON
// or nothing, naming the offending property otherwise. (A check in a rest parameter reads better,
// but breaks the inference of callbacks nested in the function.)
export function workflow<Input, R>(fn: (run: Run<Input>, input: Input) => Promise<R & Checked<Exclude<R, RunEnding>>>): Workflow<Input, ResultOf<R>>;
export function workflow<S extends StandardSchemaV1, R>(
  options: WorkflowOptions & { input: S },
  fn: (run: Run<InferSchemaOutput<S>>, input: InferSchemaOutput<S>) => Promise<R & Checked<Exclude<R, RunEnding>>>,
): Workflow<InferSchemaOutput<S>, ResultOf<R>, InferSchemaInput<S>>;
export function workflow<Input, R>(
  options: WorkflowOptions & { input?: undefined },
  fn: (run: Run<Input>, input: Input) => Promise<R & Checked<Exclude<R, RunEnding>>>,
): Workflow<Input, ResultOf<R>>;
/**
 * Defines a workflow as a durable async function: `fn(run, input)` with named steps
 * (`run.step`, `run.sleep`, `run.waitForEvent`), each one step of the run. Its return value is
 * the run's result; `return run.fail(reason)` / `run.cancel(reason)` end it otherwise.
 * Register it like a `StepRunner`: `Runtime.open({ workflows: { name: definition } })`.
 *
 * The code between steps may run more than once (every execution replays the completed steps
 * from their records), so it must be deterministic: take time and randomness from `run.now()`
 * and `run.random()`, and do side effects inside steps.
 *
 * @param options.input a Standard Schema: `submit` validates the input with it and rejects a bad
 *   one with `InvalidInput`, storing nothing; the function gets the schema's output
 * @throws WorkflowError `InvalidArgument` for a bad function or option
 */
export function workflow(a: unknown, b?: unknown): AnyWorkflow {
  const [options, fn] = typeof a === 'function' ? [{} as WorkflowOptions & { input?: unknown }, a] : [a as WorkflowOptions & { input?: unknown }, b];
  if (typeof fn !== 'function') throw invalidArgument('workflow function', 'must be an async function (run, input) => result', fn);
  if (typeof options !== 'object' || options === null) throw invalidArgument('workflow options', 'must be an object { input?, version?, previous? }', options);
  if (options.input !== undefined && !isStandardSchema(options.input)) throw invalidArgument('workflow options.input', 'must be a Standard Schema (zod, valibot, arktype, …)', options.input);
  if (options.version !== undefined && (typeof options.version !== 'string' || options.version.length === 0 || options.version.length > 128)) {
    throw invalidArgument('workflow options.version', 'must be a string of 1 to 128 characters', options.version);
  }
  const previous = options.previous ?? [];
  if (!Array.isArray(previous) || !previous.every(isWorkflow)) throw invalidArgument('workflow options.previous', 'must be an array of workflow() definitions', previous);
  const version = options.version ?? null;
  const versions = new Set([version, ...previous.map((p) => p['~workflow'].version)]);
  if (versions.size !== previous.length + 1) throw invalidArgument('workflow options.previous', 'must give each definition its own version', previous);
  const internals: WorkflowInternals = {
    fn: fn as WorkflowInternals['fn'],
    input: options.input as StandardSchemaV1 | undefined,
    version,
    previous: Object.freeze([...previous]),
  };
  return Object.freeze({ '~workflow': Object.freeze(internals) });
}

/** Recognises a definition made by `workflow()` (by shape: it may come from another copy of this module). */
export function isWorkflow(value: unknown): value is AnyWorkflow {
  if (typeof value !== 'object' || value === null) return false;
  const w = (value as { '~workflow'?: unknown })['~workflow'];
  return typeof w === 'object' && w !== null && typeof (w as { fn?: unknown }).fn === 'function';
}

/** Recognises what `run.fail`/`run.cancel` returned. */
export function isEnding(r: unknown): r is RunEnding {
  return typeof r === 'object' && r !== null && ((r as RunEnding)['~ending'] === 'fail' || (r as RunEnding)['~ending'] === 'cancel') && typeof (r as RunEnding).reason === 'string';
}
