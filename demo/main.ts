/**
 * The demo page: a queue in IndexedDB, a processing loop, and a table of what is stored.
 *
 * Liveness of claim owners uses Web Locks, as the runtime will: each tab holds a lock named
 * after its queue owner for as long as it lives, so at start-up any claim whose owner's lock is
 * free belongs to a closed, reloaded or crashed tab and is recovered at once.
 */
import { Queue } from '../src/queue/queue.ts';
import type { JobRecord } from '../src/store/db.ts';
import { QUEUE, processJobs, type DemoTask } from './processing.ts';

const LOCK_PREFIX = 'stepwise-demo-owner:';
const TASKS: DemoTask[] = [
  { task: 'fetch sources', ms: 1_500, failFirst: 0 },
  { task: 'summarise', ms: 2_500, failFirst: 1 },
  { task: 'translate', ms: 1_200, failFirst: 0 },
  { task: 'always fails', ms: 800, failFirst: 99 },
  { task: 'urgent check', ms: 700, failFirst: 0 },
];

const q = await Queue.open({ name: 'stepwise-demo', defaults: { keepDoneMs: 3_600_000, retry: { maxAttempts: 3, baseDelayMs: 1_000 } } });
// Held until this tab goes away: that release is how other tabs learn its claims are orphaned.
navigator.locks.request(LOCK_PREFIX + q.owner, () => new Promise<never>(() => undefined));

async function ownerAlive(owner: string | null): Promise<boolean> {
  if (owner === q.owner) return true;
  const { held = [] } = await navigator.locks.query();
  return held.some((l) => l.name === LOCK_PREFIX + owner);
}

async function render(): Promise<void> {
  const jobs = await q.store.read((t) => t.getAll<JobRecord>('jobs', undefined), ['jobs']);
  const stats = await q.stats(QUEUE);
  document.querySelector('#stats')!.textContent =
    `pending ${stats.pending} · scheduled ${stats.scheduled} · running ${stats.claimed} · done ${stats.done} · dead ${stats.dead}`;
  const rows = jobs.map((j) => {
    const tr = document.createElement('tr');
    const p = j.payload as unknown as DemoTask;
    const cells = [j.id.slice(-8), p.task, String(j.priority), j.state, String(j.attempts), j.lastError ?? ''];
    cells.forEach((text, i) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (i === 0) td.className = 'id';
      if (i === 3) td.className = `state-${j.state}`;
      tr.append(td);
    });
    return tr;
  });
  document.querySelector('#jobs')!.replaceChildren(...rows);
}

document.querySelector('#enqueue')!.addEventListener('click', async () => {
  await q.enqueueBatch(
    QUEUE,
    TASKS.map((t) => ({ payload: { ...t }, priority: t.task === 'urgent check' ? 100 : 1000, delayMs: t.task === 'translate' ? 3_000 : 0 })),
  );
});

document.querySelector('#clear')!.addEventListener('click', async () => {
  // Straight to the store: the queue has no "delete everything" (nor should it).
  await q.store.write(async (t) => {
    // Every key sorts after '' (strings, then array keys such as attempts' [jobId, n]).
    for (const table of ['jobs', 'attempts', 'queues'] as const) t.delete(table, t.keyRange.lowerBound(''));
  });
});

await q.recoverClaims(ownerAlive);
void processJobs(q, new AbortController().signal);
q.on(() => void render());
setInterval(() => void render(), 300);
await render();
document.title = 'Stepwise demo: ready';
