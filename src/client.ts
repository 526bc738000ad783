/**
 * `stepwise/client`: the page side. Small on purpose (comlink plus a few hundred lines, no
 * Dexie): every call crosses to the worker.
 *
 *   const stepwise = connect({ url: new URL('./worker.ts', import.meta.url), extendedLifetime: true });
 *   const { runId } = await stepwise.submit({ workflow: 'research', input: { question } });
 *   const stop = stepwise.watch(runId, (status) => render(status));
 */
export { connect, type ConnectOptions, type StepwiseClient, type WatchListener } from './client/connect.ts';
export type {
  RunId,
  TypedRunEvent,
  TypedRunOutcome,
  TypedRunSpec,
  TypedRunStatus,
  TypedStepwiseClient,
  TypedSubmitOutcome,
  TypedWatchListener,
  WorkflowMap,
  WorkflowName,
} from './client/typed.ts';
export { isWorkflowError, type WorkflowErrorName } from './core/errors.ts';
export { isTerminal } from './core/types.ts';
export type {
  Json,
  RunSpec,
  SubmitOutcome,
  RunState,
  RunStatus,
  RunOutcome,
  TerminalStatus,
  ListQuery,
  ListOutcome,
  AttemptRecord,
  DeadJob,
  DeadJobsQuery,
  RunEvent,
  HandoffTarget,
  HandoffOutcome,
} from './core/types.ts';
