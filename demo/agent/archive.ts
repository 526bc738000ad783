/**
 * A terminal hook: every finished run is archived in the app's KV (`archive/<runId>`), as a
 * durable notification job that runs at least once, and the run's draft is dropped from it. While faults are on for every attempt it
 * fails, is retried, and lands in the dead-letter list, from where a person can requeue it.
 */
import { StepError, type TerminalHook } from '../../src/worker.ts';
import { draftKey } from '../shared.ts';
import { faultEverything } from './control.ts';

export const archiveHook: TerminalHook = {
  name: 'archive',
  async onTerminal(outcome, effects) {
    if (faultEverything()) throw StepError.transient('injected fault: the archive is unavailable');
    effects.put(`archive/${outcome.runId}`, {
      status: outcome.status,
      question: outcome.headers['question'] ?? '',
      finalStep: outcome.finalStep,
      terminalAt: outcome.terminalAt,
    });
    effects.delete(draftKey(outcome.runId)); // the draft served the approval; the result keeps the text
  },
};
