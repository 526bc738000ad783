/**
 * One run on the page: its state, a progress bar, the step timeline, the live output (tokens as
 * they stream, embedding progress), the approval form while it waits, and the report once it
 * succeeded. Built once per run and updated in place, so a person editing the draft never
 * loses the caret to a re-render.
 */
import { isTerminal, type AttemptRecord, type RunStatus } from 'stepwise/client';
import { parseProgress, parseReport, STEPS, type Progress } from '../schemas.ts';
import { backendLabel, backendOf } from '../shared.ts';
import { clockTime, h } from './dom.ts';
import { renderTimeline } from './timeline.ts';

export interface RunActions {
  approve(runId: string, text: string): Promise<void>;
  cancel(runId: string): Promise<void>;
  runAgain(status: RunStatus): Promise<void>;
  loadDraft(runId: string): Promise<string | null>;
}

/** What the page knows about the worker that a run's notice depends on. */
export interface WorkerConditions {
  online: boolean;
  /** Base URLs the worker has no key for while a run needs one. */
  keysMissing: ReadonlySet<string>;
}

const STATE_LABEL: Record<RunStatus['state'], string> = {
  pending: 'queued',
  scheduled: 'retry scheduled',
  running: 'running',
  waiting: 'needs your approval',
  cancelling: 'cancelling',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** Share of the bar each step fills (plan, retrieve, draft, approve, finalize). */
const WEIGHTS = [12, 38, 35, 10, 5];

export class RunCard {
  readonly el: HTMLElement;
  status: RunStatus;
  #history: AttemptRecord[] = [];
  #progress: Progress | undefined;
  #conditions: WorkerConditions = { online: true, keysMissing: new Set() };
  readonly #actions: RunActions;
  readonly #badge = h('span', { class: 'badge' });
  readonly #meta = h('p', { class: 'meta' });
  readonly #bar = h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 });
  readonly #fill = h('span', { class: 'fill' });
  readonly #pct = h('span', { class: 'pct' });
  readonly #timeline = h('ol', { class: 'timeline' });
  readonly #notice = h('p', { class: 'notice', hidden: true });
  readonly #liveLabel = h('h4', { class: 'live-label' }, 'Live output');
  readonly #stream = h('pre', { class: 'stream', tabindex: 0 });
  readonly #live = h('div', { class: 'live' });
  readonly #approve = h('form', { class: 'approve', hidden: true });
  readonly #draft = h('textarea', { rows: 9, spellcheck: 'true' });
  readonly #approveButton = h('button', { type: 'submit', class: 'primary' }, 'Approve');
  readonly #report = h('section', { class: 'report', hidden: true });
  readonly #cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel run');
  readonly #again = h('button', { type: 'button', hidden: true }, 'Run again');
  #progressStep = -1;
  #noticeText = '';
  #draftLoaded = false;
  #reportShown = false;

  constructor(status: RunStatus, actions: RunActions) {
    this.status = status;
    this.#actions = actions;
    const question = status.headers['question'] ?? status.runId;
    const titleId = `q-${status.runId}`;
    const draftId = `draft-${status.runId}`;
    this.#bar.setAttribute('aria-label', `Progress of “${question}”`);
    this.#bar.append(this.#fill);
    // The stream scrolls: focusable, and named by its (changing) label.
    this.#liveLabel.id = `live-${status.runId}`;
    this.#stream.setAttribute('aria-labelledby', this.#liveLabel.id);
    this.#live.append(this.#liveLabel, this.#stream);
    this.#draft.id = draftId;
    this.#approve.append(
      h('label', { for: draftId }, 'Draft: edit it if you like, then approve'),
      this.#draft,
      h('div', { class: 'row' }, this.#approveButton, h('span', { class: 'hint' }, 'The run waits durably: reload or close the tab, it will still be here.')),
    );
    this.#approve.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.#submitApproval();
    });
    this.#cancel.addEventListener('click', () => void this.#act(this.#cancel, () => this.#actions.cancel(this.status.runId)));
    this.#again.addEventListener('click', () => void this.#act(this.#again, () => this.#actions.runAgain(this.status)));
    this.el = h(
      'article',
      { class: 'run', 'data-run-id': status.runId, 'aria-labelledby': titleId },
      h('header', { class: 'run-head' }, h('h3', { id: titleId, class: 'question' }, question), this.#badge),
      this.#meta,
      h('div', { class: 'progress' }, this.#bar, this.#pct),
      this.#timeline,
      this.#notice,
      this.#live,
      this.#approve,
      this.#report,
      h('div', { class: 'row actions' }, this.#cancel, this.#again),
    );
    this.update(status);
  }

  get question(): string {
    return this.status.headers['question'] ?? this.status.runId;
  }

  update(status: RunStatus): void {
    const prev = this.status.state;
    this.status = status;
    if (status.progress !== undefined) this.#progress = parseProgress(status.progress);
    else if (status.state !== prev || status.stepNumber !== this.#progressStep) this.#progress = undefined;
    this.#progressStep = status.stepNumber;
    this.el.dataset['state'] = status.state;
    this.#badge.className = `badge b-${status.state}`;
    this.#badge.textContent = STATE_LABEL[status.state];
    const backend = backendOf(status.headers);
    const stepName = STEPS[status.stepNumber] ?? `step ${status.stepNumber}`;
    const where = isTerminal(status.state) ? `ended at ${stepName}` : status.state === 'waiting' ? 'at approve' : `at ${stepName}, attempt ${Math.max(status.attempts, 1)}`;
    this.#meta.replaceChildren(
      h('code', {}, status.runId.slice(-10)),
      ` · ${backendLabel(backend)} · started ${clockTime(status.submittedAt)} · ${where}`,
      status.error ? h('span', { class: 'error' }, ` · ${status.error}`) : '',
    );
    this.#cancel.hidden = isTerminal(status.state) || status.state === 'cancelling';
    this.#again.hidden = !(status.state === 'failed' || status.state === 'cancelled');
    this.#renderApproval();
    this.#renderReport();
    this.#renderLive();
    this.#renderNotice();
    renderTimeline(this.#timeline, this.status, this.#history);
  }

  setHistory(history: AttemptRecord[]): void {
    this.#history = history;
    renderTimeline(this.#timeline, this.status, this.#history);
  }

  setProgress(update: Progress, stepNumber: number): void {
    if (stepNumber !== this.status.stepNumber) return;
    this.#progress = update;
    // How many live updates this tab received for the run (a test reads it; people see the text).
    this.el.dataset['liveUpdates'] = String(Number(this.el.dataset['liveUpdates'] ?? 0) + 1);
    this.#renderLive();
  }

  setConditions(c: WorkerConditions): void {
    this.#conditions = c;
    this.#renderNotice();
  }

  #renderLive(): void {
    const s = this.status;
    const p = this.#progress;
    const pct = s.state === 'succeeded' ? 100 : Math.round(percent(s, p));
    this.#fill.style.width = `${pct}%`;
    this.#bar.setAttribute('aria-valuenow', String(pct));
    this.#pct.textContent = `${pct}%`;
    const active = !isTerminal(s.state) && s.state !== 'waiting';
    this.#live.hidden = !active && !(s.state !== 'succeeded' && p);
    const step = STEPS[s.stepNumber] ?? '';
    this.#stream.classList.toggle('typing', active && p?.kind === 'tokens' && !p.done);
    if (!p) {
      this.#liveLabel.textContent = 'Live output';
      this.#stream.textContent = active ? (s.state === 'running' ? `${step}: starting…` : `${step}: queued`) : '';
      return;
    }
    if (p.kind === 'embedding') {
      this.#liveLabel.textContent = 'Retrieve: embedding the library and the sub-queries';
      this.#stream.textContent = `${p.done} of ${p.total} texts embedded${p.replayed > 0 ? `, ${p.replayed} replayed from the memo (not computed again)` : ''}`;
    } else {
      this.#liveLabel.textContent = step === 'plan' ? 'Plan: tokens from the model' : `Draft: tokens as they stream${p.sections ? ` (section ${p.section ?? 1} of ${p.sections})` : ''}`;
      this.#stream.textContent = p.text;
    }
  }

  #renderNotice(): void {
    const s = this.status;
    const backend = backendOf(s.headers);
    let text = '';
    if (s.state === 'running' && backend.kind === 'api' && this.#conditions.keysMissing.has(backend.baseURL)) {
      text = 'Waiting for the API key: keys live in memory only, so enter it again under “Model endpoint”. The run waits; it does not fail.';
    } else if (s.state === 'running' && backend.kind === 'api' && !this.#conditions.online && s.stepNumber !== 1) {
      text = 'Offline: this step waits for the network without spending an attempt, then asks the endpoint again.';
    } else if (s.state === 'scheduled' && s.wakeAt) {
      text = `The last attempt failed; Stepwise retries at ${clockTime(s.wakeAt)} (the memo keeps what was already paid for).`;
    }
    if (text === this.#noticeText) return; // unchanged: keep its button (and focus) in place
    this.#noticeText = text;
    this.#notice.hidden = text === '';
    this.#notice.textContent = text;
    if (text.startsWith('Waiting for the API key')) {
      const go = h('button', { type: 'button' }, 'Enter the key');
      go.addEventListener('click', () => {
        const key = document.getElementById('endpoint-key');
        const details = key?.closest('details');
        if (details) details.open = true;
        key?.focus();
      });
      this.#notice.append(' ', go);
    }
  }

  #renderApproval(): void {
    const waiting = this.status.state === 'waiting';
    this.#approve.hidden = !waiting;
    if (!waiting) return;
    this.#approveButton.disabled = false;
    if (!this.#draftLoaded) {
      this.#draftLoaded = true;
      if (this.#progress?.kind === 'tokens' && this.#progress.done) this.#draft.value = this.#progress.text;
      void this.#actions.loadDraft(this.status.runId).then((text) => {
        // The stored draft wins unless the person started editing.
        if (text !== null && document.activeElement !== this.#draft && !this.#draft.dataset['edited']) this.#draft.value = text;
      });
      this.#draft.addEventListener('input', () => (this.#draft.dataset['edited'] = '1'), { once: true });
    }
  }

  async #submitApproval(): Promise<void> {
    this.#approveButton.disabled = true;
    try {
      await this.#actions.approve(this.status.runId, this.#draft.value);
    } catch {
      this.#approveButton.disabled = false;
    }
  }

  #renderReport(): void {
    if (this.status.state !== 'succeeded' || this.#reportShown) return;
    const r = parseReport(this.status.result);
    if (!r) return;
    this.#reportShown = true;
    const paid = r.ledger.reduce((n, e) => n + e.paid, 0);
    const replayed = r.ledger.reduce((n, e) => n + e.replayed, 0);
    this.#report.hidden = false;
    this.#report.append(
      h('h4', {}, r.edited ? 'Report (approved with your edits)' : 'Report (approved as drafted)'),
      h('p', { class: 'answer' }, r.answer),
      h('h5', {}, 'Plan'),
      h(
        'p',
        {},
        `${r.plan.planner === 'LLM' ? 'The LLM' : 'Rules'} split the question into ${r.plan.subQueries.map((q) => `“${q}”`).join(', ')}; searched as ${r.searchTerms.map((q) => `“${q}”`).join(', ')}.`,
        r.plan.planner === 'LLM' ? '' : h('span', { class: 'hint' }, ` (The tiny model, asked to plan, said “${r.plan.modelText}”.)`),
      ),
      h('h5', {}, 'Sources'),
      h('ol', { class: 'sources' }, ...r.sources.map((s) => h('li', {}, h('strong', {}, s.title), ` (similarity ${s.score.toFixed(2)}): ${s.excerpt}`))),
      h('h5', {}, 'Model calls'),
      h(
        'p',
        { class: 'ledger' },
        `${paid + replayed} calls in the final attempts: ${paid} computed, ${replayed} replayed from the memo (paid for by an earlier attempt, not again). `,
        ...r.ledger.map((e) => h('span', { class: 'ledger-item' }, `${e.step}: attempt ${e.attempt}, ${e.paid} computed, ${e.replayed} from memo`)),
      ),
    );
  }

  async #act(button: HTMLButtonElement, action: () => Promise<void>): Promise<void> {
    button.disabled = true;
    try {
      await action();
    } finally {
      button.disabled = false;
    }
  }
}

function percent(s: RunStatus, p: Progress | undefined): number {
  const step = Math.min(s.stepNumber, WEIGHTS.length - 1);
  const before = WEIGHTS.slice(0, step).reduce((a, b) => a + b, 0);
  if (s.state === 'waiting') return WEIGHTS.slice(0, 4).reduce((a, b) => a + b, 0) - (WEIGHTS[3] ?? 0) / 2;
  let within = 0;
  if (p?.kind === 'embedding') within = p.total > 0 ? p.done / p.total : 0;
  else if (p?.kind === 'tokens') within = p.sections ? Math.min(1, ((p.section ?? 1) - (p.done ? 0 : 0.5)) / p.sections) : Math.min(0.9, (p.tokens ?? p.text.length / 5) / 10);
  return before + (WEIGHTS[step] ?? 0) * within;
}
