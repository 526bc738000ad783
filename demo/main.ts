/// <reference types="vite/client" />
/**
 * The demo page. Everything durable happens in the worker (worker.ts); this page only asks it
 * things through the Stepwise client and renders what it hears:
 * - `list` / `status` / `history` / `deadJobs` answer from IndexedDB, so a reloaded page shows
 *   every run exactly where it is;
 * - `watch` delivers status changes and streamed tokens live, in every open tab;
 * - `submit`, `sendEvent` (the approval), `cancel` and `requeueDead` are the buttons.
 */
import { connect, isTerminal, type DeadJob, type RunStatus, type StepwiseClient } from 'stepwise/client';
import { parseProgress, type Approval, type Backend, type RunInput } from './schemas.ts';
import { AGENT_WORKFLOW, approvalKey, backendOf, DB_NAME, isFault, WORKFLOW, runHeaders, type WorkerState } from './shared.ts';
import { AgentCard, type AgentActions } from './ui/agent-card.ts';
import { initModeSwitch, selectedWorkflow } from './ui/mode.ts';
import { WorkerControl } from './ui/control.ts';
import { renderDeadLetters } from './ui/dead-letters.ts';
import { $, announce, clockTime, errorText, h } from './ui/dom.ts';
import { Inspector } from './ui/inspector.ts';
import { RunCard, type RunActions } from './ui/run-card.ts';
import { apiBackend, askForKey, initSettings } from './ui/settings.ts';
import workerUrl from './worker.ts?worker&url';

declare global {
  interface Window {
    /** The Stepwise client, for the console and for tests (`waitForRun` finds it here). */
    app: StepwiseClient;
  }
}

const client = connect({ url: workerUrl, name: DB_NAME });
window.app = client;
const control = new WorkerControl();
const cards = new Map<string, RunCard | AgentCard>();
const unwatch = new Map<string, () => void>();
const runList = $('#run-list');
const inspector = new Inspector($('#inspector-body'));
const keysMissing = new Set<string>();

// ---- runs ----

const actions: RunActions = {
  async approve(runId, text) {
    const approval: Approval = { decision: 'approve', text };
    await client.sendEvent(approvalKey(runId), approval);
    announce('Approved. The run finalizes its report.');
  },
  async cancel(runId) {
    await client.cancel(runId);
  },
  async runAgain(status) {
    await submit({ question: status.headers['question'] ?? '', backend: backendOf(status.headers) }, status.workflow);
  },
  loadDraft: (runId) => control.draft(runId),
};

const agentActions: AgentActions = {
  async decide(eventKey, decision) {
    await client.sendEvent(eventKey, decision);
    announce(decision === true ? 'Approved. The agent runs the tool.' : 'Rejected. The agent is told so.');
  },
  cancel: actions.cancel,
  runAgain: actions.runAgain,
  loadView: (runId) => control.agentView(runId),
};

function cardFor(status: RunStatus): RunCard | AgentCard {
  const known = cards.get(status.runId);
  if (known) return known;
  const card = status.workflow === AGENT_WORKFLOW ? new AgentCard(status, agentActions) : new RunCard(status, actions);
  cards.set(status.runId, card);
  card.setConditions({ online: control.state?.online ?? true, keysMissing });
  // One watch per run: it refreshes the run's status at once (so progress events are delivered
  // from the first), and again after the worker restarts.
  unwatch.set(
    status.runId,
    client.watch(status.runId, (s, event) => {
      if (event.type !== 'progress') return onStatus(s);
      if (card instanceof AgentCard) return card.setProgress(event.update, event.stepNumber);
      const update = parseProgress(event.update);
      if (update) card.setProgress(update, event.stepNumber);
    }),
  );
  placeCards();
  void refreshHistory(status.runId);
  return card;
}

function onStatus(s: RunStatus): void {
  const card = cards.get(s.runId);
  if (!card) return void cardFor(s);
  const before = card.status;
  if (before.updatedAt > s.updatedAt) return;
  card.update(s);
  if (before.state !== s.state || before.stepNumber !== s.stepNumber || before.attempts !== s.attempts) {
    scheduleHistory(s.runId);
    if (s.state === 'waiting') announce(`“${card.question}” needs your approval.`);
    if (isTerminal(s.state) && !isTerminal(before.state)) {
      announce(`“${card.question}” ${s.state}.`);
      void refreshDead();
    }
  }
}

const historyTimers = new Map<string, ReturnType<typeof setTimeout>>();
function scheduleHistory(runId: string): void {
  clearTimeout(historyTimers.get(runId));
  historyTimers.set(runId, setTimeout(() => void refreshHistory(runId), 60));
}

async function refreshHistory(runId: string): Promise<void> {
  const records = await client.history(runId).catch(() => undefined);
  if (records) cards.get(runId)?.setHistory(records);
}

function placeCards(): void {
  const ordered = [...cards.values()].sort((a, b) => b.status.submittedAt - a.status.submittedAt || (a.status.runId < b.status.runId ? 1 : -1));
  ordered.forEach((c, i) => {
    if (runList.children[i] !== c.el) runList.insertBefore(c.el, runList.children[i] ?? null);
  });
  $('#runs-empty').hidden = cards.size > 0;
}

/** Everything from stored state: on load, after a worker restart, and every few seconds as a safety net. */
async function syncAll(): Promise<void> {
  const { runs } = await client.list({ limit: 30 });
  for (const s of runs) {
    if (cards.has(s.runId)) onStatus(s);
    else cardFor(s);
  }
  for (const s of runs) if (!isTerminal(s.state)) void refreshHistory(s.runId);
  await refreshDead();
}

async function submit(input: RunInput, workflow: string = WORKFLOW): Promise<void> {
  const { runId } = await client.submit({ workflow, input, headers: runHeaders(input) });
  const s = await client.status(runId);
  if (s) cardFor(s).el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  announce(`Started “${input.question}”.`);
}

// ---- dead letters ----

let deadSignature = '';
async function refreshDead(): Promise<void> {
  const jobs = await client.deadJobs({ limit: 50 }).catch(() => undefined);
  if (!jobs) return;
  const signature = jobs.map((j) => `${j.jobId}:${j.attempts}`).join(',');
  if (signature === deadSignature && $('#dead-list').childElementCount > 0) return;
  deadSignature = signature;
  $('#dead-count').textContent = jobs.length > 0 ? String(jobs.length) : '';
  renderDeadLetters($('#dead-list'), jobs, {
    async requeue(job: DeadJob) {
      await client.requeueDead(job.jobId).catch((e: unknown) => announce(errorText(e)));
      await refreshDead();
    },
    async runAgain(job: DeadJob) {
      const s = job.runId ? cards.get(job.runId)?.status ?? (await client.status(job.runId)) : undefined;
      if (s) await actions.runAgain(s);
    },
    questionOf: (runId) => (runId ? cards.get(runId)?.question ?? runId : ''),
  });
}

// ---- the form ----

const form = $('#ask-form', HTMLFormElement);
const question = $('#question', HTMLTextAreaElement);
const askStatus = $('#ask-status');
form.addEventListener('submit', (e) => {
  e.preventDefault();
  const q = question.value.trim();
  if (!q) {
    askStatus.textContent = 'Type a question first.';
    question.focus();
    return;
  }
  const useApi = ($('#backend-api', HTMLInputElement).checked && apiBackend()) || undefined;
  const backend: Backend = useApi ?? { kind: 'local' };
  const button = $('#ask-submit', HTMLButtonElement);
  button.disabled = true;
  askStatus.textContent = '';
  submit({ question: q, backend }, selectedWorkflow())
    .catch((err: unknown) => (askStatus.textContent = `Could not start: ${errorText(err)}`))
    .finally(() => (button.disabled = false));
});
for (const b of document.querySelectorAll('button[data-example]')) {
  if (!(b instanceof HTMLButtonElement)) continue;
  b.addEventListener('click', () => {
    question.value = b.dataset['example'] ?? '';
    question.focus();
  });
}

initModeSwitch();
initSettings(control, () => {
  const api = apiBackend();
  const radio = $('#backend-api', HTMLInputElement);
  radio.disabled = !api;
  if (api) {
    radio.checked = true;
    $('#backend-api-label').textContent = `${api.model} at ${new URL(api.baseURL).host}`;
  }
});

// ---- "try to break it" ----

$('#reload-now').addEventListener('click', () => location.reload());
$('#second-tab').addEventListener('click', () => window.open(location.href, '_blank'));
const offline = $('#go-offline', HTMLButtonElement);
offline.addEventListener('click', () => control.setNetwork(!(control.state?.online ?? true)));
const fault = $('#fault', HTMLSelectElement);
fault.addEventListener('change', () => {
  if (isFault(fault.value)) control.setFault(fault.value);
});

control.onState = (s: WorkerState) => {
  offline.classList.toggle('is-on', !s.online);
  offline.textContent = s.online ? 'Go offline' : 'Back online';
  fault.value = s.fault;
  const net = $('#net-pill');
  net.textContent = s.online ? 'Worker network: online' : 'Worker network: offline (simulated)';
  net.className = `pill ${s.online ? 'p-ok' : 'p-warn'}`;
  $('#worker-pill').textContent = `Worker ${s.instanceId}, up since ${clockTime(s.startedAt)}`;
  for (const c of cards.values()) c.setConditions({ online: s.online, keysMissing });
};
control.onKeysMissing = (urls) => {
  const added = urls.filter((u) => !keysMissing.has(u));
  keysMissing.clear();
  for (const u of urls) keysMissing.add(u);
  for (const c of cards.values()) c.setConditions({ online: control.state?.online ?? true, keysMissing });
  for (const u of added) askForKey(u);
};

// ---- inspector ----

const details = $('#inspector', HTMLDetailsElement);
details.addEventListener('toggle', () => details.open && void inspector.refresh());
$('#inspector-refresh').addEventListener('click', () => void inspector.refresh());

// ---- start ----

const connPill = $('#conn-pill');
let reconnectsSeen = 0;
async function start(): Promise<void> {
  const mode = await client.mode;
  connPill.textContent = mode === 'shared' ? 'Connected: one SharedWorker for all tabs' : 'Connected: per-tab worker (no SharedWorker here)';
  connPill.className = 'pill p-ok';
  await syncAll();
  document.documentElement.dataset['ready'] = 'true';
  setInterval(() => {
    if (client.reconnects !== reconnectsSeen) {
      reconnectsSeen = client.reconnects;
      announce('The worker restarted; runs continue where they were.');
    }
    void syncAll().catch(() => undefined);
    if (details.open) void inspector.refresh();
  }, 2500);
}
start().catch((e: unknown) => {
  connPill.textContent = `Not connected: ${errorText(e)}`;
  connPill.className = 'pill p-bad';
  $('#runs-empty').replaceChildren(h('strong', {}, 'The worker did not start. '), errorText(e));
});
