/**
 * A terminal hook: every finished run is archived in the app's KV (`archive/<runId>`), as a
 * durable notification job that runs at least once, and the run's draft is dropped from it.
 * The worker wraps it for fault injection: while faults are on for every attempt it fails, is
 * retried, and lands in the dead-letter list, from where a person can requeue it.
 */
import type { TerminalHook } from 'stepwise/worker';
import { draftKey } from '../shared.ts';

export const archiveHook: TerminalHook = {
  name: 'archive',
  async onTerminal(outcome, effects) {
    effects.put(`archive/${outcome.runId}`, {
      status: outcome.status,
      question: outcome.headers['question'] ?? '',
      finalStep: outcome.finalStep,
      terminalAt: outcome.terminalAt,
    });
    effects.delete(draftKey(outcome.runId)); // the draft served the approval; the result keeps the text
  },
};
