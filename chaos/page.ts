/**
 * The chaos page: connects to chaos/worker.ts (a SharedWorker, or this tab's own dedicated
 * worker when SharedWorker is missing) and exposes what the Node driver needs on
 * `window.chaos`. Page URL parameters `db`, `ledger`, `stepMin`, `stepMax`, `gapMax`, `leaseMs`,
 * `hookMin`, `hookMax` and `build` (deploy phase: which build of the worker) are forwarded to the worker URL (identical in every tab, as a SharedWorker requires); `extended=1`
 * connects with Chromium's `extendedLifetime` (a worker of another name); in fallback
 * mode the tab's token is added as `tab`, so its worker can say when it executes.
 */
import { connect, type StepwiseClient } from '../src/client.ts';
import { WORKFLOW, executorTabLockPrefix, type ChaosWorkflow, networkChannelName, type ChainPayload, type NetworkMessage } from './protocol.ts';

export interface SubmitRequest {
  runId: string;
  /** @default WORKFLOW */
  workflow?: ChaosWorkflow;
  input: ChainPayload;
}

/** `known`: the run existed before this call (status answered), so nothing was submitted. */
export type SubmitAnswer = { runId: string; outcome: 'new' | 'existing' | 'known' };

export interface BriefStatus {
  state: string;
  stepNumber: number;
  attempts: number;
}

export interface ChaosPage {
  app: StepwiseClient;
  /** This tab's token (names its worker's executor lock in fallback mode). */
  tab: string;
  /** Submits each run unless `status` already knows it (a retried submission never restarts an ended run). */
  submit(requests: SubmitRequest[]): Promise<SubmitAnswer[]>;
  statuses(runIds: string[]): Promise<Record<string, BriefStatus | null>>;
  /** Sets the simulated network state of every worker of the database; resolves once one acknowledged it. */
  setOnline(online: boolean): Promise<void>;
  /** Every record of every object store of the database. */
  dump(): Promise<Record<string, unknown[]>>;
  /** How many records each object store holds. */
  counts(): Promise<Record<string, number>>;
  /** Instance ids of the live runtime instances (from the alive locks they hold). */
  liveWorkers(): Promise<string[]>;
  /** In fallback mode, the token of the tab whose worker executes, if any. */
  executorTab(): Promise<string | null>;
}

declare global {
  interface Window {
    chaos: ChaosPage;
  }
}

const params = new URL(location.href).searchParams;
const db = params.get('db') ?? 'chaos';
const tab = Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
const workerUrl = new URL('./worker.ts', import.meta.url);
for (const k of ['db', 'ledger', 'stepMin', 'stepMax', 'gapMax', 'leaseMs', 'hookMin', 'hookMax', 'build']) {
  const v = params.get(k);
  if (v !== null) workerUrl.searchParams.set(k, v);
}
if (typeof SharedWorker === 'undefined') workerUrl.searchParams.set('tab', tab);

const app = connect({ url: workerUrl, name: db, extendedLifetime: params.get('extended') === '1' });

// ---- the simulated network seam (see chaos/worker.ts) ----
const storageKey = `chaos-online:${db}`;
const storedOnline = () => localStorage.getItem(storageKey) !== '0';
const network = new BroadcastChannel(networkChannelName(db));
network.addEventListener('message', (e: MessageEvent<NetworkMessage>) => {
  // A worker that just started asks for the current state.
  if (typeof e.data === 'object' && e.data !== null && 'query' in e.data) network.postMessage({ online: storedOnline() } satisfies NetworkMessage);
});

async function setOnline(online: boolean): Promise<void> {
  localStorage.setItem(storageKey, online ? '1' : '0');
  for (let i = 0; i < 300; i++) {
    const acked = new Promise<boolean>((resolve) => {
      const onAck = (e: MessageEvent<NetworkMessage>) => {
        if (typeof e.data !== 'object' || e.data === null || !('ack' in e.data) || e.data.ack !== online) return;
        network.removeEventListener('message', onAck);
        clearTimeout(t);
        resolve(true);
      };
      const t = setTimeout(() => {
        network.removeEventListener('message', onAck);
        resolve(false);
      }, 100);
      network.addEventListener('message', onAck);
    });
    network.postMessage({ online } satisfies NetworkMessage);
    if (await acked) return;
  }
  throw new Error('no worker acknowledged the simulated network state within 30 s');
}

async function submit(requests: SubmitRequest[]): Promise<SubmitAnswer[]> {
  return Promise.all(
    requests.map(async ({ runId, workflow = WORKFLOW, input }): Promise<SubmitAnswer> => {
      if ((await app.status(runId)) !== undefined) return { runId, outcome: 'known' };
      const out = await app.submit({ workflow, runId, input });
      return { runId, outcome: out.newlySubmitted ? 'new' : 'existing' };
    }),
  );
}

async function statuses(runIds: string[]): Promise<Record<string, BriefStatus | null>> {
  const out: Record<string, BriefStatus | null> = {};
  await Promise.all(
    runIds.map(async (id) => {
      const s = await app.status(id);
      out[id] = s ? { state: s.state, stepNumber: s.stepNumber, attempts: s.attempts } : null;
    }),
  );
  return out;
}

/** One read-only transaction over every object store of the database: a consistent snapshot. */
async function readAll<T>(read: (store: IDBObjectStore) => IDBRequest<T>): Promise<Record<string, T>> {
  const conn = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(db);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  try {
    const names = Array.from(conn.objectStoreNames);
    const tx = conn.transaction(names, 'readonly');
    const out: Record<string, T> = {};
    await Promise.all(
      names.map(
        (name) =>
          new Promise<void>((resolve, reject) => {
            const req = read(tx.objectStore(name));
            req.onsuccess = () => {
              out[name] = req.result;
              resolve();
            };
            req.onerror = () => reject(req.error);
          }),
      ),
    );
    return out;
  } finally {
    conn.close();
  }
}

async function heldLocks(): Promise<string[]> {
  const { held = [] } = await navigator.locks.query();
  return held.map((l) => l.name ?? '');
}

window.chaos = {
  app,
  tab,
  submit,
  statuses,
  setOnline,
  dump: () => readAll((s) => s.getAll() as IDBRequest<unknown[]>),
  counts: () => readAll((s) => s.count()),
  liveWorkers: async () => {
    const prefix = `stepwise:${db}:alive:`;
    return (await heldLocks()).filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)).sort();
  },
  executorTab: async () => {
    const prefix = executorTabLockPrefix(db);
    return (await heldLocks()).find((n) => n.startsWith(prefix))?.slice(prefix.length) ?? null;
  },
};
document.title = 'ready';
