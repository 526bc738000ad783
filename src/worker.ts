/**
 * `stepwise/worker`: the worker side. An app's worker module is a few lines:
 *
 *   import { serve, Outcome } from 'stepwise/worker';
 *   serve({ name: 'app', workflows: { research } });
 */
export { serve, type ServeOptions, type WorkerHost } from './host/serve.ts';
export type { Runtime } from './runtime/runtime.ts';
export { Outcome, StepError } from './core/outcome.ts';
export { MockClock } from './core/clock.ts';
export { webhookHook } from './runtime/webhook.ts';
export type { Step, StepRunner, TerminalHook, Memo, Effects, LeaseHandle } from './runtime/types.ts';
export { workflow, type Workflow, type AnyWorkflow, type WorkflowOptions, type WorkflowInput, type WorkflowResult, type Run, type RunEnding } from './functions/definition.ts';
export type { Jsonable, JsonResult } from './functions/jsonable.ts';
export type { StandardSchemaV1 } from './functions/standard-schema.ts';
