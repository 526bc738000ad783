/**
 * JSON checks for what a durable function stores (step results, inputs, results): at compile
 * time, and a step result's at run time.
 *
 * `Json` is an index-signature type, and an `interface` is not assignable to an index signature,
 * so `Json` refuses the interfaces people write. `Jsonable<T>` instead maps a type to its JSON
 * shape: the same type for a JSON-shaped one, `never` at each offending part (a function, a
 * `Date`, a `Map`, `undefined` as a property value, `unknown`, a symbol or bigint), so `T` is
 * JSON exactly when `T` is assignable to `Jsonable<T>`. Optional properties are fine (absent is
 * JSON); a property whose value may be `undefined` is not (the runtime rejects it too: it would
 * not survive a round trip).
 */
import { isWorkflowError } from '../core/errors.ts';
import { checkJson, type Json } from '../core/json.ts';
import { StepError } from '../core/outcome.ts';

type NotJson = undefined | symbol | bigint | ((...args: never[]) => unknown);

export type Jsonable<T> = T extends Json
  ? T // also stops the recursion at `Json` itself
  : T extends NotJson
    ? never
    : T extends readonly unknown[]
      ? { [K in keyof T]: Jsonable<T[K]> }
      : T extends object
        ? { [K in keyof T]: K extends string ? Jsonable<T[K]> : never }
        : never;

/** What a step or a workflow may resolve with: JSON, or nothing at all (`void`/`undefined`). */
export type JsonResult<T> = [T] extends [undefined | void] ? T : Jsonable<T>;

/**
 * `unknown` when `T` is a `JsonResult`, its JSON shape otherwise: a callback typed to return
 * `Promise<T & Checked<T>>` compiles exactly when it resolves with JSON (the error names the
 * offending property), and `T` is still inferred, literals widened, as from `Promise<T>`.
 */
export type Checked<T> = [T] extends [JsonResult<T>] ? unknown : JsonResult<T>;

/** @throws StepError permanent when a step's result is not JSON (or too large) */
export function checkStepResult(value: unknown, name: string, maxBytes: number): void {
  try {
    checkJson(value, `the result of step ${JSON.stringify(name)}`, maxBytes);
  } catch (e) {
    throw isWorkflowError(e) ? StepError.permanent(`${e.name}: ${e.message}`) : e;
  }
}
