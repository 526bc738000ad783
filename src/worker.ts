/**
 * `stepwise/worker`: the worker side. An app's worker module is a few lines:
 *
 *   import { serve, Outcome } from 'stepwise/worker';
 *   serve({ name: 'app', workflows: { research } });
 */
export { serve, type ServeOptions, type WorkerHost } from './host/serve.ts';
export type { RuntimeCore } from './runtime/runtime-core.ts';
export { Outcome, StepError } from './core/outcome.ts';
export { MockClock } from './core/clock.ts';
export { webhookHook } from './runtime/webhook.ts';
export type { Step, StepRunner, TerminalHook, Memo, Effects, LeaseHandle } from './runtime/types.ts';
