/**
 * The Standard Schema interface (version 1), types only: zod (3.24 and later), valibot, arktype
 * and others implement it under the `~standard` key, so a workflow takes any of them without
 * depending on one. Written out here rather than imported: it is a small, stable, published
 * interface, and Stepwise ships with no dependency for it.
 *
 * `validateInput` runs a workflow's schema at submit and turns a rejection into the named
 * `InvalidInput` error, whose details carry the schema's issues as plain JSON.
 */
import { WorkflowError } from '../core/errors.ts';

export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaProps<Input, Output>;
}

export interface StandardSchemaProps<Input = unknown, Output = Input> {
  readonly version: 1;
  readonly vendor: string;
  readonly validate: (value: unknown) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
  /** Type carrier only: never present at run time. */
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

export type StandardSchemaResult<Output> = { readonly value: Output; readonly issues?: undefined } | { readonly issues: ReadonlyArray<StandardSchemaIssue> };

export interface StandardSchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** What the schema accepts (what a caller submits). */
export type InferSchemaInput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['input'];
/** What the schema produces (what the workflow function receives). */
export type InferSchemaOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output'];

/** One schema issue as stored in `InvalidInput` details: the message and a path of strings and numbers. */
export interface InputIssue {
  message: string;
  path: (string | number)[];
}

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const props = (value as { '~standard'?: unknown })['~standard'];
  return typeof props === 'object' && props !== null && (props as { version?: unknown }).version === 1 && typeof (props as { validate?: unknown }).validate === 'function';
}

/**
 * Validates `input` against `schema`.
 * @returns the schema's output (it may differ from the input: defaults, coercions)
 * @throws WorkflowError `InvalidInput` (permanent) with `details.issues` when the schema rejects it;
 *   a schema that throws is reported the same way, its message as the one issue
 */
export async function validateInput(schema: StandardSchemaV1, input: unknown, workflow: string): Promise<unknown> {
  let result: StandardSchemaResult<unknown>;
  try {
    result = await schema['~standard'].validate(input);
  } catch (e) {
    throw invalid(workflow, [{ message: `the schema threw: ${e instanceof Error ? e.message : String(e)}`, path: [] }]);
  }
  if (result.issues === undefined) return result.value;
  throw invalid(workflow, result.issues.map(toIssue));
}

function invalid(workflow: string, issues: InputIssue[]): WorkflowError {
  const shown = issues.slice(0, 3).map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message));
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return new WorkflowError('InvalidInput', `the input of workflow ${JSON.stringify(workflow)} does not match its schema: ${shown.join('; ')}${more}`, {
    workflow,
    issues,
  });
}

function toIssue(issue: StandardSchemaIssue): InputIssue {
  const path = (issue.path ?? []).map((p) => {
    const key = typeof p === 'object' && p !== null ? p.key : p;
    return typeof key === 'number' ? key : String(key);
  });
  return { message: typeof issue.message === 'string' ? issue.message : String(issue.message), path };
}
