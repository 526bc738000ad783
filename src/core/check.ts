/**
 * Argument checks shared by every layer, done before any transaction. Each throws
 * `InvalidArgument` naming the argument (`details.what`), the rule it broke, and a short
 * description of the value (`details.value`); none writes anything.
 */
import { invalidArgument } from './errors.ts';

/** An options bag (or batch item): absent, or an object that is neither null nor an array. */
export function checkOptions(value: unknown, what: string): void {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) throw invalidArgument(what, 'must be an object', value);
}

/** A duration, delay or lease: a finite number of ms >= `min`. */
export function checkMs(value: unknown, what: string, min = 0): asserts value is number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= min)) throw invalidArgument(what, `must be a finite number of ms >= ${min}`, value);
}

/** A safe integer, >= `min` when given. */
export function checkInt(value: unknown, what: string, min?: number): asserts value is number {
  if (!(Number.isSafeInteger(value) && (min === undefined || (value as number) >= min))) {
    throw invalidArgument(what, min === undefined ? 'must be an integer' : `must be an integer >= ${min}`, value);
  }
}

/** A string (`why` words the rule where a string stands for something: "must be a job id"). */
export function checkString(value: unknown, what: string, why = 'must be a string'): asserts value is string {
  if (typeof value !== 'string') throw invalidArgument(what, why, value);
}

/** A function (a callback or hook). */
export function checkFunction(value: unknown, what: string): void {
  if (typeof value !== 'function') throw invalidArgument(what, 'must be a function', value);
}
