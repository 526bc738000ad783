/**
 * The client typed by the worker's workflows: `connect<typeof workflows>(…)`, with
 * `import type { workflows } from './worker'`, so the page gets the worker's types and none of
 * its code. Types only: nothing here exists at run time, and a typed client is the same object
 * as an untyped one.
 *
 * - `submit` takes only a registered workflow name, and that workflow's input type (a schema's
 *   input type, or the function's parameter; any JSON for a `StepRunner`).
 * - The run id `submit` answers is branded with the workflow's name (`RunId<'research'>`, still a
 *   string), so `wait`, `status` and `watch` given that id are typed by that workflow's result.
 *   For a plain string id, name the workflow (`wait<'research'>(id)`) or get the union of every
 *   workflow's statuses, narrowed by checking `workflow`.
 */
import type { Json } from '../core/json.ts';
import type { ListOutcome, ListQuery, RunOutcome, RunSpec, RunStatus, SubmitOutcome } from '../core/types.ts';
import type { WorkflowInput, WorkflowResult } from '../functions/definition.ts';
import type { StepwiseClient } from './client-types.ts';

/** What `connect` may be typed by: the worker's `workflows` map (definitions and `StepRunner`s). */
export type WorkflowMap = object;

/** The registered workflow names of `W`. */
export type WorkflowName<W> = Extract<keyof W, string>;

/**
 * A run id that remembers its workflow: a plain string at run time (and assignable to one),
 * that lets `wait`, `status` and `watch` infer the run's result type.
 */
export type RunId<K extends string = string> = string & { readonly '~workflow': K };

/** A `RunSpec` for workflow `K` of `W`: its `input` is that workflow's input type. */
export type TypedRunSpec<W, K extends WorkflowName<W>> = Omit<RunSpec, 'workflow' | 'input'> & {
  workflow: K;
  input: NoInfer<WorkflowInput<W[K]>>;
};

/** `SubmitOutcome`, its run id branded with the workflow. */
export type TypedSubmitOutcome<K extends string> = Omit<SubmitOutcome, 'runId'> & { runId: RunId<K> };

/** A `RunStatus` of workflow `K` (a union over `K`: check `workflow` to narrow `result`). */
export type TypedRunStatus<W, K extends WorkflowName<W> = WorkflowName<W>> = K extends WorkflowName<W>
  ? Omit<RunStatus, 'workflow' | 'result'> & { workflow: K; result?: WorkflowResult<W[K]> }
  : never;

/** A `RunOutcome` of workflow `K` (a union over `K`: check `workflow` to narrow `result`). */
export type TypedRunOutcome<W, K extends WorkflowName<W> = WorkflowName<W>> = K extends WorkflowName<W>
  ? Omit<RunOutcome, 'workflow' | 'result'> & { workflow: K; result?: WorkflowResult<W[K]> }
  : never;

/** A run event whose status is typed by workflow `K`. */
export type TypedRunEvent<W, K extends WorkflowName<W> = WorkflowName<W>> =
  | { type: 'status'; status: TypedRunStatus<W, K> }
  | { type: 'progress'; runId: string; stepNumber: number; update: Json };

export type TypedWatchListener<W, K extends WorkflowName<W> = WorkflowName<W>> = (status: TypedRunStatus<W, K>, event: TypedRunEvent<W, K>) => void;

/** `StepwiseClient`, with `submit`, `status`, `wait`, `watch` and `list` typed by the workflows `W`. */
export interface TypedStepwiseClient<W extends WorkflowMap> extends Omit<StepwiseClient, 'submit' | 'status' | 'wait' | 'watch' | 'list'> {
  /** Starts a run of a registered workflow with its input type. @see StepwiseClient.submit */
  submit<K extends WorkflowName<W>>(spec: TypedRunSpec<W, K>): Promise<TypedSubmitOutcome<K>>;

  status<K extends WorkflowName<W>>(runId: RunId<K>): Promise<TypedRunStatus<W, K> | undefined>;
  /** The run's status, typed as workflow `K`'s (every workflow's, by default). @see StepwiseClient.status */
  status<K extends WorkflowName<W> = WorkflowName<W>>(runId: string): Promise<TypedRunStatus<W, K> | undefined>;

  wait<K extends WorkflowName<W>>(runId: RunId<K>, options?: { timeoutMs?: number }): Promise<TypedRunOutcome<W, K>>;
  /** How the run ended, typed as workflow `K`'s (every workflow's, by default). @see StepwiseClient.wait */
  wait<K extends WorkflowName<W> = WorkflowName<W>>(runId: string, options?: { timeoutMs?: number }): Promise<TypedRunOutcome<W, K>>;

  watch<K extends WorkflowName<W>>(runId: RunId<K>, listener: TypedWatchListener<W, K>): () => void;
  /** Live status of one run (typed as workflow `K`'s), or of every run with '*'. @see StepwiseClient.watch */
  watch<K extends WorkflowName<W> = WorkflowName<W>>(runId: string, listener: TypedWatchListener<W, K>): () => void;

  /** Runs, filtered by a registered workflow name; each status typed by its workflow. @see StepwiseClient.list */
  list<K extends WorkflowName<W> = WorkflowName<W>>(query?: Omit<ListQuery, 'workflow'> & { workflow?: K }): Promise<Omit<ListOutcome, 'runs'> & { runs: TypedRunStatus<W, K>[] }>;
}
