/**
 * The dead-letter list (`client.deadJobs`): step jobs that failed for good (their run failed)
 * and notification jobs of the archive hook that ran out of attempts. A dead notification is
 * requeued as it is (`requeueDead`); a dead step's run is over, so it is run again as a new run
 * with the same question.
 */
import type { DeadJob } from 'stepwise/client';
import { STEPS } from '../schemas.ts';
import { clockTime, h } from './dom.ts';

export interface DeadLetterActions {
  requeue(job: DeadJob): Promise<void>;
  runAgain(job: DeadJob): Promise<void>;
  questionOf(runId: string | undefined): string;
}

export function renderDeadLetters(root: HTMLElement, jobs: readonly DeadJob[], actions: DeadLetterActions): void {
  if (jobs.length === 0) {
    root.replaceChildren(h('p', { class: 'empty' }, 'No dead letters. Set “Inject a fault” to “every attempt” and start a run to make one.'));
    return;
  }
  const rows = jobs.map((j) => {
    const what = j.kind === 'step' ? `step ${j.stepNumber ?? '?'} (${STEPS[j.stepNumber ?? -1] ?? 'unknown'})` : `notification (${j.hook ?? 'hook'})`;
    const button =
      j.kind === 'notification'
        ? h('button', { type: 'button', 'aria-label': `Requeue the ${j.hook ?? ''} notification of “${actions.questionOf(j.runId)}”` }, 'Requeue')
        : h('button', { type: 'button', 'aria-label': `Run “${actions.questionOf(j.runId)}” again as a new run` }, 'Run again');
    button.addEventListener('click', () => {
      button.disabled = true;
      void (j.kind === 'notification' ? actions.requeue(j) : actions.runAgain(j)).finally(() => (button.disabled = false));
    });
    return h(
      'tr',
      { 'data-job-id': j.jobId },
      h('td', {}, what),
      h('td', {}, actions.questionOf(j.runId)),
      h('td', { class: 'num' }, String(j.attempts)),
      h('td', { class: 'err' }, j.lastError ?? ''),
      h('td', {}, j.failedAt ? clockTime(j.failedAt) : ''),
      h('td', {}, button),
    );
  });
  root.replaceChildren(
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h('caption', { class: 'sr-only' }, 'Dead-lettered jobs'),
        h('thead', {}, h('tr', {}, ...['Job', 'Run', 'Attempts', 'Last error', 'Failed at', 'Action'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...rows),
      ),
    ),
  );
}
