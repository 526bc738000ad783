/**
 * The words of a history mismatch: a run whose code no longer makes the durable calls its journal
 * recorded fails with a permanent error naming the call expected and the call found.
 */
import { StepError } from '../core/outcome.ts';
import type { CallKind, Entry } from './journal.ts';

export const KIND_WORDS: Record<CallKind, string> = { step: 'step', sleep: 'sleep', wait: 'waitForEvent' };

const ADVICE = '. Code between steps must be deterministic; a changed workflow whose runs are in flight needs a new version (workflow options `version`, `previous`)';

/** `step "plan"`, `sleep "cool-down"`, … */
export function describeCall(e: Pick<Entry, 'k' | 'n'>): string {
  return `${KIND_WORDS[e.k]} ${JSON.stringify(e.n)}`;
}

/** Where in which run: the prefix of every journal error. */
export function positionOf(workflow: string, runId: string, p: number): string {
  return `workflow ${JSON.stringify(workflow)} no longer matches run ${runId}: step ${p}`;
}

/** @param found what the code does there now: another call, or `undefined` when it returns first */
export function mismatch(workflow: string, runId: string, p: number, recorded: Entry, found: Pick<Entry, 'k' | 'n'> | undefined): StepError {
  const now = found === undefined ? 'returns before it' : `calls ${describeCall(found)}`;
  return StepError.permanent(`${positionOf(workflow, runId, p)} was recorded as ${describeCall(recorded)}, but the code now ${now}${ADVICE}`);
}
