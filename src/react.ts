/**
 * `stepwise/react`: live run status in React components, in every tab.
 *
 *   const { status } = useRun(client, runId);
 *   const { runs } = useRuns(client, { state: 'running' });
 *
 * `react` (18 or later) is an optional peer dependency: only this entry imports it. Safe under
 * server rendering: nothing touches the browser at import or while rendering on a server.
 */
export { useRun, useRuns } from './react/hooks.ts';
export type { RunView, RunsView, RunsClient, RunStatusLike } from './react/stores.ts';
