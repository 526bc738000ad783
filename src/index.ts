/**
 * Stepwise: a durable, at-least-once workflow runtime inside the browser.
 *
 * This entry is the runtime itself (worker side, or Node with fake-indexeddb). Pages use
 * `stepwise/client`; the SharedWorker entry uses `stepwise/worker`.
 *
 * Guarantees: every step is delivered at least once and settles at most once (fenced claims);
 * a step's settlement (next step, effects, run record, terminal marker, notification) is one
 * IndexedDB transaction; every run ends exactly once; memo survives retries and restarts.
 * Idempotency key of a step: (runId, stepNumber), or `step.jobId`.
 */
export { Runtime } from './runtime/runtime.ts';
export type { RuntimeOptions } from './runtime/options.ts';
export type { HandoffOptions } from './runtime/handoff-records.ts';
export type { Step, StepRunner, Memo, Effects, TerminalEffects, LeaseHandle, TerminalHook } from './runtime/types.ts';
export {
  workflow,
  type Workflow,
  type AnyWorkflow,
  type WorkflowOptions,
  type WorkflowFunction,
  type WorkflowInput,
  type WorkflowResult,
  type Run,
  type RunEnding,
} from './functions/definition.ts';
export type { Jsonable, JsonResult } from './functions/jsonable.ts';
export type { StandardSchemaV1, StandardSchemaIssue, InferSchemaInput, InferSchemaOutput, InputIssue } from './functions/standard-schema.ts';
export { webhookHook, type WebhookOptions } from './runtime/webhook.ts';
export { Outcome, StepError, isStepError, type StepOutcome, type StepErrorKind } from './core/outcome.ts';
export { WorkflowError, isWorkflowError, type WorkflowErrorName } from './core/errors.ts';
export { MockClock, SystemClock, systemClock, type Clock } from './core/clock.ts';
export type { RetryPolicy } from './core/retry.ts';
export type { Json } from './core/json.ts';
export {
  isTerminal,
  type RunSpec,
  type SubmitOutcome,
  type RunState,
  type RunStatus,
  type RunOutcome,
  type TerminalStatus,
  type ListQuery,
  type ListOutcome,
  type AttemptRecord,
  type DeadJob,
  type DeadJobsQuery,
  type RunEvent,
  type HandoffTarget,
  type HandoffOutcome,
} from './core/types.ts';
export { Queue, type QueueEvent, type QueueOptions } from './queue/queue.ts';
export { Priority } from './queue/types.ts';
