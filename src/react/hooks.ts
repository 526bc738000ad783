/**
 * `useRun` and `useRuns`: a run's (or a list of runs') live status in a React component, kept
 * current in every tab through the client's `watch`, on `useSyncExternalStore`.
 */
import { useMemo, useSyncExternalStore } from 'react';
import type { StepwiseClient } from '../client/connect.ts';
import type { RunId, TypedRunStatus, TypedStepwiseClient, WorkflowMap, WorkflowName } from '../client/typed.ts';
import type { ListQuery, RunStatus } from '../core/types.ts';
import { NO_RUN, runStore, runsStore, type ExternalStore, type RunView, type RunsClient, type RunsView, type RunStatusLike } from './stores.ts';

const noRunStore: ExternalStore<RunView<never>> = { subscribe: () => () => undefined, getSnapshot: () => NO_RUN, getServerSnapshot: () => NO_RUN };

export function useRun<W extends WorkflowMap, K extends WorkflowName<W>>(client: TypedStepwiseClient<W>, runId: RunId<K>): RunView<TypedRunStatus<W, K>>;
export function useRun<W extends WorkflowMap, K extends WorkflowName<W> = WorkflowName<W>>(client: TypedStepwiseClient<W>, runId: string | undefined): RunView<TypedRunStatus<W, K>>;
export function useRun(client: StepwiseClient | RunsClient, runId: string | undefined): RunView<RunStatus>;
/**
 * The live status of run `runId`, re-rendering on each change of it in any tab (progress
 * included). `{ status: undefined, loading: true }` until the first answer, and during a server
 * render; `{ status: undefined, loading: false }` for a run that does not exist, or when
 * `runId` is `undefined` (nothing submitted yet). A typed client types `status` by the
 * workflow of a `RunId` from `submit` (or the one named: `useRun<typeof workflows, 'research'>`).
 */
export function useRun(client: RunsClient<RunStatusLike>, runId: string | undefined): RunView<RunStatusLike> {
  const s = useMemo(() => (runId === undefined ? noRunStore : runStore(client, runId)), [client, runId]);
  return useSyncExternalStore(s.subscribe, s.getSnapshot, s.getServerSnapshot);
}

export function useRuns<W extends WorkflowMap, K extends WorkflowName<W> = WorkflowName<W>>(
  client: TypedStepwiseClient<W>,
  query?: Omit<ListQuery, 'workflow'> & { workflow?: K },
): RunsView<TypedRunStatus<W, K>>;
export function useRuns(client: StepwiseClient | RunsClient, query?: ListQuery): RunsView<RunStatus>;
/**
 * The runs `client.list(query)` answers (most recently changed first), re-rendering as they
 * change in any tab, and listing again when a run enters or leaves the query. The query is
 * compared by value, so an object literal written in the render is fine.
 * `{ runs: [], loading: true }` until the first answer, and during a server render.
 */
export function useRuns(client: RunsClient<RunStatusLike>, query?: ListQuery): RunsView<RunStatusLike> {
  const key = query === undefined ? '' : JSON.stringify(query);
  const s = useMemo(() => runsStore(client, query), [client, key]);
  return useSyncExternalStore(s.subscribe, s.getSnapshot, s.getServerSnapshot);
}
