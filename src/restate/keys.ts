/**
 * Names on the Restate server: the two services, and the key of a remote run.
 *
 * A remote run is keyed by (owner, runId): the owner, percent-encoded, so it holds no `:`, then
 * `:`, then the run id (1–128 of [A-Za-z0-9_-]). The encoding is injective, so no pair of
 * (owner, runId) shares a key with another, and an owner can only ever name its own runs.
 */
import { WorkflowError, invalidArgument } from '../core/errors.ts';
import { idProblem } from '../core/ids.ts';

/** The Restate workflow that runs handed-off runs (one invocation of `run` per key). */
export const RUN_SERVICE = 'StepwiseRun';
/** The virtual object beside each run: memo, attempt counters, progress, event counters. */
export const DATA_SERVICE = 'StepwiseRunData';

/**
 * The Restate key of the run `runId` of `owner`.
 * @throws WorkflowError `InvalidArgument` for an empty owner or a malformed run id
 */
export function runKey(owner: string, runId: string): string {
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > 512) throw invalidArgument('owner', 'must be a string of 1 to 512 characters');
  const problem = idProblem(runId);
  if (problem) throw new WorkflowError('InvalidArgument', `runId ${problem}`, { what: 'runId' });
  return `${encodeURIComponent(owner)}:${runId}`;
}
