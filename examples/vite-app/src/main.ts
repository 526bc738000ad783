// main.ts: the page
import { connect, isWorkflowError, type RunStatus } from 'stepwise/client';
import type { workflows } from './worker.ts'; // types only: no worker code in the page
import workerUrl from './worker.ts?worker&url'; // Vite bundles the worker and gives its URL

// `name` must be the one the worker gives `serve()`; the type parameter types submit, status, wait and watch per workflow.
const stepwise = connect<typeof workflows>({ url: workerUrl, name: 'app', extendedLifetime: true });

declare global {
  interface Window {
    /** The client, for the browser console and end-to-end tests. */
    stepwise: typeof stepwise;
  }
}
window.stepwise = stepwise;

const runs = new Map<string, RunStatus>();
const list = document.querySelector<HTMLUListElement>('#runs')!;
const form = document.querySelector<HTMLFormElement>('#ask')!;
const question = document.querySelector<HTMLInputElement>('#question')!;

// A new run: submit, then follow it live (in every open tab) and wait for its outcome.
form.addEventListener('submit', (e) => {
  e.preventDefault();
  void research(question.value);
});

async function research(q: string): Promise<void> {
  const { runId } = await stepwise.submit({ workflow: 'research', input: { question: q } });
  const stop = stepwise.watch(runId, (status) => render(status));
  try {
    const outcome = await stepwise.wait(runId); // { status: 'succeeded', result, … }
    console.log(`run ${runId} ${outcome.status}`, outcome.result ?? outcome.error);
  } catch (e) {
    // A reload or a closed tab ends this wait, not the run: the next page picks it up below.
    if (!isWorkflowError(e, 'Unavailable')) throw e;
  } finally {
    stop();
  }
}

// Runs submitted before a reload (or from another tab): the database has them, list() finds them.
async function resume(): Promise<void> {
  stepwise.watch('*', (status) => render(status));
  const { runs: stored } = await stepwise.list({ limit: 20 });
  for (const status of stored) render(status);
}

// The run's step 1 waits for this event: approve or reject.
function decide(runId: string, approved: boolean): void {
  void stepwise.sendEvent(`approve:${runId}`, approved);
}

function render(status: RunStatus): void {
  const known = runs.get(status.runId);
  if (known && known.updatedAt > status.updatedAt) return; // an older snapshot arriving late
  runs.set(status.runId, status);

  let item = list.querySelector<HTMLLIElement>(`li[data-run-id="${status.runId}"]`);
  if (!item) {
    item = document.createElement('li');
    item.dataset['runId'] = status.runId;
    list.prepend(item);
  }
  item.dataset['state'] = status.state;
  const text = document.createElement('span');
  text.textContent = `${status.runId}: ${status.state}, step ${status.stepNumber}` + (status.result !== undefined ? `, result ${JSON.stringify(status.result)}` : '') + (status.error ? `, ${status.error}` : '');
  item.replaceChildren(text);
  if (status.state === 'waiting') {
    for (const [label, approved] of [['Approve', true], ['Reject', false]] as const) {
      const button = document.createElement('button');
      button.textContent = label;
      button.addEventListener('click', () => decide(status.runId, approved));
      item.append(' ', button);
    }
  }
}

void resume();
