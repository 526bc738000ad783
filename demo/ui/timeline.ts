/**
 * A run's step timeline, from its attempt history (`client.history`) and its live status: per
 * step, whether it is done, running, waiting or failed, and one chip per delivery: attempt
 * number, how it ended (done, interrupted by a reload, failed and retried, dead-lettered…) and
 * how many memo hits it had (model calls answered from the memo instead of paid again).
 */
import type { AttemptRecord, RunStatus } from 'stepwise/client';
import { STEPS } from '../schemas.ts';
import { clockTime, h } from './dom.ts';

type StepState = 'done' | 'running' | 'queued' | 'retrying' | 'waiting' | 'failed' | 'cancelled' | 'todo';

const STATE_TEXT: Record<StepState, string> = {
  done: 'done',
  running: 'running',
  queued: 'queued',
  retrying: 'retry scheduled',
  waiting: 'waiting for you',
  failed: 'failed',
  cancelled: 'cancelled',
  todo: 'to do',
};

const OUTCOME_TEXT: Record<AttemptRecord['outcome'], string> = {
  continued: 'done',
  scheduled: 'done',
  waiting: 'asked for approval',
  succeeded: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
  retried: 'failed, retried',
  deadLettered: 'dead-lettered',
  interrupted: 'interrupted',
  leaseExpired: 'lease expired',
};

const GOOD = new Set<AttemptRecord['outcome']>(['continued', 'scheduled', 'succeeded', 'waiting']);

/** `names`: the run's steps in order (by default the research workflow's). */
export function renderTimeline(list: HTMLOListElement, status: RunStatus, history: readonly AttemptRecord[], names: readonly string[] = STEPS): void {
  const items = names.map((name, i) => {
    const records = history.filter((r) => r.stepNumber === i);
    const state = stepState(i, status, records);
    const chips = records.map((r) => chip(r));
    const live = liveChip(i, status);
    if (live) chips.push(live);
    const summary = `${name}: ${STATE_TEXT[state]}`;
    return h(
      'li',
      { class: `step s-${state}`, 'aria-label': [summary, ...chips.map((c) => c.textContent ?? '')].join('. ') },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      h('span', { class: 'step-name' }, name),
      h('span', { class: 'step-state' }, STATE_TEXT[state]),
      h('span', { class: 'chips' }, ...chips),
    );
  });
  list.replaceChildren(...items);
}

function stepState(i: number, s: RunStatus, records: AttemptRecord[]): StepState {
  if (records.some((r) => GOOD.has(r.outcome) && r.outcome !== 'waiting')) return 'done';
  if (records.some((r) => r.outcome === 'waiting')) return s.state === 'waiting' ? 'waiting' : 'done';
  // A run at step n has finished the steps before it, even before its history says so.
  if (s.stepNumber > i) return 'done';
  if (s.stepNumber !== i) return 'todo';
  switch (s.state) {
    case 'running':
      return 'running';
    case 'pending':
      return 'queued';
    case 'scheduled':
      return 'retrying';
    case 'cancelling':
    case 'cancelled':
      return 'cancelled';
    case 'failed':
      return 'failed';
    default:
      return 'todo';
  }
}

function chip(r: AttemptRecord): HTMLElement {
  // A parked job cancelled before its first delivery has attempt 0.
  if (r.attempt === 0) return h('span', { class: 'chip c-bad' }, `${OUTCOME_TEXT[r.outcome]} before it ran`);
  const hits = r.memoHits > 0 ? ` · ${r.memoHits} memo hit${r.memoHits === 1 ? '' : 's'}` : '';
  const kind = GOOD.has(r.outcome) ? 'ok' : r.outcome === 'retried' || r.outcome === 'interrupted' || r.outcome === 'leaseExpired' ? 'warn' : 'bad';
  return h('span', { class: `chip c-${kind}${r.memoHits > 0 ? ' c-memo' : ''}`, title: r.error ?? '' }, `#${r.attempt} ${OUTCOME_TEXT[r.outcome]}${hits}`);
}

function liveChip(i: number, s: RunStatus): HTMLElement | undefined {
  if (s.stepNumber !== i) return undefined;
  if (s.state === 'running') return h('span', { class: 'chip c-live' }, `#${s.attempts} running`);
  if (s.state === 'pending') return h('span', { class: 'chip c-live' }, `#${s.attempts + 1} queued`);
  if (s.state === 'scheduled') return h('span', { class: 'chip c-live' }, `#${s.attempts + 1} at ${s.wakeAt ? clockTime(s.wakeAt) : 'soon'}`);
  return undefined;
}
