/**
 * One run of the "agent with tools" mode on the page: its state, its durable steps (one per
 * model turn, one per approval), the transcript (the model's text, each tool call and its
 * result), the current turn's text and tool calls as they stream, the approve / reject buttons
 * while a tool call waits (in every tab: the decision is an event any tab sends), and the final
 * answer with the saved summary. On the built-in models it says plainly what is scripted.
 */
import { isTerminal, type AttemptRecord, type Json, type RunStatus } from 'stepwise/client';
import { parseAgentProgress, parseAgentResult, parseAgentView, type AgentProgress, type AgentView, type TranscriptEntry } from '../schemas.ts';
import { backendLabel, backendOf } from '../shared.ts';
import { clockTime, h } from './dom.ts';
import type { WorkerConditions } from './run-card.ts';
import { renderTimeline } from './timeline.ts';

export interface AgentActions {
  /** Sends the decision on a parked tool call: `true`, or `{ approved: false, reason }`. */
  decide(eventKey: string, decision: Json): Promise<void>;
  cancel(runId: string): Promise<void>;
  runAgain(status: RunStatus): Promise<void>;
  loadView(runId: string): Promise<Json | null>;
}

/** Said on every scripted run, and next to the form: the honest part of this mode. */
export const SCRIPTED_NOTE =
  'Scripted model: the built-in tiny model cannot choose tools, so a scripted AI SDK model calls searchNotes, readNote, then saveSummary in a fixed order and streams fixed text. The tools, their recorded results and the approval are real. Set a model endpoint to let a real model choose.';

const STATE_LABEL: Record<RunStatus['state'], string> = {
  pending: 'queued',
  scheduled: 'retry scheduled',
  running: 'running',
  waiting: 'tool call needs your approval',
  cancelling: 'cancelling',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

export class AgentCard {
  readonly el: HTMLElement;
  status: RunStatus;
  #history: AttemptRecord[] = [];
  #view: AgentView | undefined;
  #progress: AgentProgress | undefined;
  #conditions: WorkerConditions = { online: true, keysMissing: new Set() };
  #viewFor = '';
  readonly #actions: AgentActions;
  readonly #badge = h('span', { class: 'badge' });
  readonly #meta = h('p', { class: 'meta' });
  readonly #scripted = h('p', { class: 'scripted' }, SCRIPTED_NOTE);
  readonly #timeline = h('ol', { class: 'timeline' });
  readonly #notice = h('p', { class: 'notice', hidden: true });
  readonly #transcript = h('ol', { class: 'transcript', 'aria-label': 'Transcript' });
  readonly #liveLabel = h('h4', { class: 'live-label' }, 'Live output');
  readonly #stream = h('pre', { class: 'stream', tabindex: 0 });
  readonly #live = h('div', { class: 'live' });
  readonly #approval = h('section', { class: 'approve tool-approval', hidden: true });
  readonly #approvalText = h('p', {});
  readonly #reason = h('input', { type: 'text', placeholder: 'optional, told to the model' });
  readonly #approveButton = h('button', { type: 'button', class: 'primary' }, 'Approve the tool call');
  readonly #rejectButton = h('button', { type: 'button', class: 'danger' }, 'Reject the tool call');
  readonly #report = h('section', { class: 'report', hidden: true });
  readonly #cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel run');
  readonly #again = h('button', { type: 'button', hidden: true }, 'Run again');

  constructor(status: RunStatus, actions: AgentActions) {
    this.status = status;
    this.#actions = actions;
    const titleId = `q-${status.runId}`;
    const reasonId = `reason-${status.runId}`;
    this.#liveLabel.id = `live-${status.runId}`;
    this.#stream.setAttribute('aria-labelledby', this.#liveLabel.id);
    this.#live.append(this.#liveLabel, this.#stream);
    this.#reason.id = reasonId;
    this.#approval.append(
      this.#approvalText,
      h('label', { for: reasonId }, 'Reason for a rejection'),
      this.#reason,
      h('div', { class: 'row' }, this.#approveButton, this.#rejectButton, h('span', { class: 'hint' }, 'The run waits durably: answer from any tab, now or after a reload.')),
    );
    this.#approveButton.addEventListener('click', () => void this.#decide(true));
    this.#rejectButton.addEventListener('click', () => void this.#decide({ approved: false, reason: this.#reason.value.trim() || 'rejected by the person' }));
    this.#cancel.addEventListener('click', () => void this.#act(this.#cancel, () => this.#actions.cancel(this.status.runId)));
    this.#again.addEventListener('click', () => void this.#act(this.#again, () => this.#actions.runAgain(this.status)));
    this.#scripted.hidden = backendOf(status.headers).kind !== 'local';
    this.el = h(
      'article',
      { class: 'run agent-run', 'data-run-id': status.runId, 'aria-labelledby': titleId },
      h('header', { class: 'run-head' }, h('h3', { id: titleId, class: 'question' }, this.question), this.#badge),
      this.#meta,
      this.#scripted,
      this.#timeline,
      this.#notice,
      this.#transcript,
      this.#live,
      this.#approval,
      this.#report,
      h('div', { class: 'row actions' }, this.#cancel, this.#again),
    );
    this.update(status);
  }

  get question(): string {
    return this.status.headers['question'] ?? this.status.runId;
  }

  update(status: RunStatus): void {
    const moved = status.state !== this.status.state || status.stepNumber !== this.status.stepNumber;
    this.status = status;
    if (status.progress !== undefined) this.#progress = parseAgentProgress(status.progress);
    else if (moved) this.#progress = undefined;
    this.el.dataset['state'] = status.state;
    this.#badge.className = `badge b-${status.state}`;
    this.#badge.textContent = STATE_LABEL[status.state];
    const where = isTerminal(status.state)
      ? `ended at step ${status.stepNumber + 1}`
      : status.state === 'waiting'
        ? 'waiting for a decision on a tool call'
        : `step ${status.stepNumber + 1}, attempt ${Math.max(status.attempts, 1)}`;
    this.#meta.replaceChildren(
      h('code', {}, status.runId.slice(-10)),
      ` · agent with tools · ${backendLabel(backendOf(status.headers))} · started ${clockTime(status.submittedAt)} · ${where}`,
      status.error ? h('span', { class: 'error' }, ` · ${status.error}`) : '',
    );
    this.#cancel.hidden = isTerminal(status.state) || status.state === 'cancelling';
    this.#again.hidden = !(status.state === 'failed' || status.state === 'cancelled');
    const result = status.state === 'succeeded' ? parseAgentResult(status.result) : undefined;
    if (result) this.#view = result.view;
    else void this.#refreshView();
    this.#render();
    this.#renderReport();
  }

  setHistory(history: AttemptRecord[]): void {
    this.#history = history;
    this.#renderTimeline();
  }

  setProgress(update: unknown, stepNumber: number): void {
    if (stepNumber !== this.status.stepNumber) return;
    const p = parseAgentProgress(update);
    if (!p) return;
    this.#progress = p;
    // How many live updates this tab received for the run (a test reads it; people see the text).
    this.el.dataset['liveUpdates'] = String(Number(this.el.dataset['liveUpdates'] ?? 0) + 1);
    this.#renderLive();
  }

  setConditions(c: WorkerConditions): void {
    this.#conditions = c;
    this.#renderNotice();
  }

  /** The stored view, once per step the run is at (a turn's settlement writes it). */
  async #refreshView(): Promise<void> {
    const at = `${this.status.stepNumber}:${this.status.state}`;
    if (at === this.#viewFor) return;
    this.#viewFor = at;
    const view = parseAgentView(await this.#actions.loadView(this.status.runId));
    if (!view || (this.#view && view.steps.length < this.#view.steps.length)) return;
    this.#view = view;
    this.#render();
  }

  #render(): void {
    this.#renderTimeline();
    this.#renderTranscript();
    this.#renderLive();
    this.#renderApproval();
    this.#renderNotice();
  }

  #renderTimeline(): void {
    const s = this.status;
    const names = [...(this.#view?.steps ?? [])];
    const last = Math.max(s.stepNumber, ...this.#history.map((r) => r.stepNumber));
    for (let i = names.length; i <= last; i++) names.push(i === s.stepNumber && !isTerminal(s.state) ? 'next turn' : `step ${i + 1}`);
    renderTimeline(this.#timeline, s, this.#history, names);
  }

  #renderTranscript(): void {
    const entries = this.#view?.transcript ?? [];
    this.#transcript.hidden = entries.length === 0;
    this.#transcript.replaceChildren(...entries.map((e) => entryItem(e)));
  }

  #renderLive(): void {
    const s = this.status;
    const p = this.#progress;
    const active = s.state === 'running' || s.state === 'pending' || s.state === 'scheduled';
    this.#live.hidden = !active;
    if (!active) return;
    this.#liveLabel.textContent = `Step ${s.stepNumber + 1}: the model's answer as it streams`;
    this.#stream.classList.toggle('typing', !!p && !p.done);
    if (!p) {
      this.#stream.textContent = s.state === 'running' ? 'asking the model…' : 'queued';
      return;
    }
    const calls = (p.toolCalls ?? []).map((c) => `\n→ ${c.name}(${c.input})`).join('');
    this.#stream.textContent = `${p.text}${calls}`;
  }

  #pending(): { toolCallId: string; call: Extract<TranscriptEntry, { kind: 'call' }> | undefined } | undefined {
    const key = this.status.state === 'waiting' ? this.status.eventKey : undefined;
    const prefix = `approval:${this.status.runId}:`;
    if (!key?.startsWith(prefix)) return undefined;
    const toolCallId = key.slice(prefix.length);
    const call = this.#view?.transcript.find((e): e is Extract<TranscriptEntry, { kind: 'call' }> => e.kind === 'call' && e.id === toolCallId);
    return { toolCallId, call };
  }

  #renderApproval(): void {
    const pending = this.#pending();
    this.#approval.hidden = !pending;
    if (!pending) return;
    this.#approveButton.disabled = this.#rejectButton.disabled = false;
    const what = pending.call ? `${pending.call.name}(${pending.call.input})` : `tool call ${pending.toolCallId}`;
    this.#approvalText.replaceChildren(h('strong', {}, 'The model wants to run '), h('code', {}, what), '. Approve it, or reject it: a rejection goes back to the model.');
  }

  async #decide(decision: Json): Promise<void> {
    const key = this.#pending() && this.status.eventKey;
    if (!key) return;
    this.#approveButton.disabled = this.#rejectButton.disabled = true;
    try {
      await this.#actions.decide(key, decision);
    } catch {
      this.#approveButton.disabled = this.#rejectButton.disabled = false;
    }
  }

  #renderNotice(): void {
    const s = this.status;
    const backend = backendOf(s.headers);
    let text = '';
    if (s.state === 'running' && backend.kind === 'api' && this.#conditions.keysMissing.has(backend.baseURL)) {
      text = 'Waiting for the API key: keys live in memory only, so enter it again under “Model endpoint”. The run waits; it does not fail.';
    } else if (s.state === 'scheduled' && s.wakeAt) {
      text = `The last attempt failed; Stepwise retries at ${clockTime(s.wakeAt)} (the memo keeps the model answers and tool results already recorded).`;
    }
    this.#notice.hidden = text === '';
    this.#notice.textContent = text;
  }

  #renderReport(): void {
    const r = this.status.state === 'succeeded' ? parseAgentResult(this.status.result) : undefined;
    this.#report.hidden = !r;
    if (!r || this.#report.childElementCount > 0) return;
    this.#report.append(
      h('h4', {}, `Final answer (after ${r.turns} model turns)`),
      h('p', { class: 'answer' }, r.answer),
      h('h5', {}, 'Saved summary'),
      r.summary ? h('p', { class: 'summary' }, h('strong', {}, r.summary.title), `: ${r.summary.text}`) : h('p', { class: 'summary hint' }, 'Nothing saved: the tool call was rejected.'),
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

const CALL_STATE: Record<Extract<TranscriptEntry, { kind: 'call' }>['state'], string> = {
  running: 'running',
  awaiting: 'waiting for approval',
  done: 'done',
  rejected: 'rejected',
  error: 'failed',
};

function entryItem(e: TranscriptEntry): HTMLElement {
  if (e.kind === 'text') return h('li', { class: 'say' }, h('span', { class: 'who' }, `model, turn ${e.turn}: `), e.text);
  return h(
    'li',
    { class: `tool t-${e.state}`, 'data-tool': e.name },
    h('span', { class: 'who' }, `tool, turn ${e.turn}: `),
    h('code', {}, `${e.name}(${e.input})`),
    ` · ${CALL_STATE[e.state]}`,
    e.output ? h('span', { class: 'output' }, ` → ${e.output}`) : '',
  );
}
