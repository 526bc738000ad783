/**
 * The chaos worker: `serve` with the workflow `chain` and a terminal hook, both reporting to
 * the ledger server (chaos/ledger.ts) on 127.0.0.1. The same module runs as the SharedWorker
 * and, where SharedWorker is missing, as each tab's dedicated worker (fallback mode).
 *
 * Worker URL parameters: `db`, `ledger` (the ledger's origin), `stepMin`/`stepMax` (ms of
 * simulated work before each effect), `gapMax` (ms at most between an effect's answer and its
 * memo write, to widen that window for the faults), optionally `leaseMs` (the delivery lease),
 * `hookMin`/`hookMax` (ms the terminal hook works before it reports: the slow-hook phase makes
 * it slower than the lease), `build` (deploy phase: '1' the old build, registering `chainOld`
 * too, '2' the new one, registering `chainNew` too; two values are two script URLs, hence two
 * SharedWorkers, as two deployed builds would be), and, in fallback mode only, `tab` (the
 * token of the tab that owns this worker: the SharedWorker's URL must be the same in every tab).
 *
 * Workflow `chain` (payload: ChainPayload). Each of the run's `steps` steps:
 *  1. checks it received exactly the chain [0, …, n-1] and the run's nonce (else it reports a
 *     violation to the ledger and fails the run);
 *  2. works a random while (abortable);
 *  3. reads memo `effect`; when absent, POSTs the effect (run, step, attempt, key) to the ledger,
 *     waits a little, then writes the memo with the ledger's sequence number;
 *  4. continues with the chain extended by n; the last step succeeds with { nonce, chain }.
 * `chainNew` and `chainOld` are the same steps under another name (deploy phase).
 * The terminal hook POSTs every run's end to the ledger (at least once: it is a durable job),
 * and reports each call's start, beats (every HOOK_BEAT_MS) and end on /hook, so that the
 * driver can tell whether two calls for one run ever ran at once. It honours its signal: once
 * aborted (its delivery lost the claim) it stops at once and reports `abort`.
 *
 * Offline, simulated: Playwright's offline mode does not reach workers (see
 * docs/platform.md), so the driver (a) really stops the ledger (connections refused, open ones cut) and
 * (b) flips a simulated `navigator.onLine` through the BroadcastChannel `chaos-network:<db>`.
 * While simulated-offline, a step parks until the simulated `online` event without spending an
 * attempt (as the LLM runner does); a request that fails while "online" (the window between
 * the two switches) throws a transient StepError and is retried with backoff. A worker that
 * starts asks the pages for the current state ({ query }), since a BroadcastChannel message
 * sent before it listened is lost.
 */
import { Outcome, StepError, serve, type Step, type TerminalHook } from '../src/worker.ts';
import {
  HOOK_NAME,
  MEMO_KEY,
  chainUpTo,
  executorTabLockPrefix,
  networkChannelName,
  sameChain,
  type ChainPayload,
  type ChainResult,
  type EffectBody,
  type EffectMemo,
  type HookBody,
  type InstanceBody,
  type NetworkMessage,
  type TerminalBody,
  type ViolationBody,
  workflowsOf,
} from './protocol.ts';

const params = new URL(self.location.href).searchParams;
const db = params.get('db') ?? 'chaos';
const ledger = params.get('ledger') ?? 'http://127.0.0.1:27601';
const stepMin = Number(params.get('stepMin') ?? 50);
const stepMax = Number(params.get('stepMax') ?? 300);
const gapMax = Number(params.get('gapMax') ?? 40);
const tab = params.get('tab');
const leaseMs = params.get('leaseMs');
const hookMin = Number(params.get('hookMin') ?? 0);
const hookMax = Number(params.get('hookMax') ?? 0);
const build = params.get('build') ?? undefined;
/** How often a hook call reports that it still runs. */
const HOOK_BEAT_MS = 150;
const DAY = 24 * 3600 * 1000;

// ---- simulated network ---------------------------------------------------------------------

let simulatedOnline: boolean | undefined;
const networkEvents = new EventTarget();
let instance = 'starting';
const network = new BroadcastChannel(networkChannelName(db));
network.onmessage = (e: MessageEvent<NetworkMessage>) => {
  const m = e.data;
  if (typeof m !== 'object' || m === null || !('online' in m) || typeof m.online !== 'boolean') return;
  simulatedOnline = m.online;
  network.postMessage({ ack: m.online, instance } satisfies NetworkMessage);
  if (m.online) networkEvents.dispatchEvent(new Event('online'));
};
network.postMessage({ query: true } satisfies NetworkMessage);

function isOnline(): boolean {
  return simulatedOnline ?? navigator.onLine;
}

/** Resolves at the next (simulated) `online`, or at once if online; rejects when `signal` aborts. */
function untilOnline(signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    if (isOnline()) return resolve();
    const done = () => {
      networkEvents.removeEventListener('online', done);
      signal.removeEventListener('abort', aborted);
      resolve();
    };
    const aborted = () => {
      networkEvents.removeEventListener('online', done);
      reject(signal.reason);
    };
    networkEvents.addEventListener('online', done);
    signal.addEventListener('abort', aborted, { once: true });
  });
}

async function post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(`${ledger}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(10_000)]) : AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw StepError.transient(`ledger ${path} answered HTTP ${res.status}`);
  return (await res.json()) as T;
}

/**
 * One request to the ledger with the offline semantics above: parks while simulated-offline;
 * a failure while "online" is a transient step error (one attempt spent).
 */
async function reliablePost<T>(path: string, body: unknown, signal: AbortSignal): Promise<T> {
  for (;;) {
    if (!isOnline()) {
      await untilOnline(signal);
      continue;
    }
    try {
      return await post<T>(path, body, signal);
    } catch (e) {
      if (signal.aborted) throw e;
      if (!isOnline()) continue; // went offline during the request: wait for the network, no attempt spent
      throw StepError.transient(`ledger unreachable: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
  });
}

const between = (min: number, max: number) => min + Math.random() * Math.max(0, max - min);

// ---- the workflow --------------------------------------------------------------------------

async function chain(step: Step) {
  const p = step.payload as unknown as ChainPayload;
  const n = step.stepNumber;
  const input = p as Partial<ChainPayload> | null;
  if (typeof input !== 'object' || input === null || typeof input.nonce !== 'string' || typeof input.steps !== 'number' || !sameChain(input.chain, n)) {
    const what = `step ${n} received payload ${JSON.stringify(p)}, expected chain ${JSON.stringify(chainUpTo(n))}`;
    await post('/violation', { runId: step.runId, step: n, attempt: step.attempts, what } satisfies ViolationBody).catch(() => undefined);
    return Outcome.fail(what);
  }
  await sleep(between(stepMin, stepMax), step.signal);
  if ((await step.memo.get(MEMO_KEY)) === undefined) {
    const body: EffectBody = { runId: step.runId, step: n, attempt: step.attempts, key: MEMO_KEY, jobId: step.jobId, nonce: p.nonce, chain: p.chain, instance, ...(build ? { build } : {}) };
    const { seq } = await reliablePost<{ seq: number }>('/effect', body, step.signal);
    // The window the faults aim at: the effect happened, its memo is not written yet.
    await sleep(between(0, gapMax), step.signal);
    const memo: EffectMemo = { seq, attempt: step.attempts };
    await step.memo.put(MEMO_KEY, memo);
  }
  const next: ChainPayload = { nonce: p.nonce, steps: p.steps, chain: [...p.chain, n] };
  const result: ChainResult = { nonce: p.nonce, chain: next.chain };
  return n + 1 >= p.steps ? Outcome.succeed(result) : Outcome.next(next);
}

let hookCalls = 0;

/** Reports one moment of a hook call (best effort: a lost record only weakens the overlap check). */
function hookMoment(runId: string, call: string, event: HookBody['event']): void {
  const body: HookBody = { runId, call, event, t: Date.now(), instance, ...(build ? { build } : {}) };
  void post('/hook', body).catch(() => undefined);
}

/** Works `ms` (abortable), reporting a beat every HOOK_BEAT_MS. */
async function slowly(ms: number, signal: AbortSignal, beat: () => void): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await sleep(Math.min(HOOK_BEAT_MS, until - Date.now()), signal);
    beat();
  }
}

const ledgerHook: TerminalHook = {
  name: HOOK_NAME,
  async onTerminal(outcome, _effects, signal) {
    const call = `${instance}:${++hookCalls}`;
    hookMoment(outcome.runId, call, 'start');
    try {
      if (hookMax > 0) await slowly(between(hookMin, hookMax), signal, () => hookMoment(outcome.runId, call, 'beat'));
      if (!isOnline()) throw StepError.transient('offline (simulated): the ledger cannot be told yet');
      const body: TerminalBody = {
        runId: outcome.runId,
        status: outcome.status,
        finalStep: outcome.finalStep,
        result: outcome.result ?? null,
        terminalAt: outcome.terminalAt,
        instance,
      };
      try {
        await post('/terminal', body, signal);
      } catch (e) {
        if (signal.aborted) throw e;
        throw StepError.transient(`ledger unreachable: ${e instanceof Error ? e.message : String(e)}`);
      }
    } finally {
      hookMoment(outcome.runId, call, signal.aborted ? 'abort' : 'end');
    }
  },
};

const host = serve({
  name: db,
  workflows: Object.fromEntries(workflowsOf(build).map((w) => [w, chain])),
  hooks: [ledgerHook],
  // Long enough that no marker (nor memo) is swept during the test: the verifier reads them.
  memoRetentionMs: DAY,
  // Faults cost attempts (every interrupted delivery counts one): never run out of them.
  retry: { maxAttempts: 1000, baseDelayMs: 100, maxDelayMs: 2000, jitter: 0.2 },
  // A short lease lets an offline period outlast it: the parked delivery is abandoned and reaped.
  ...(leaseMs !== null ? { leaseMs: Number(leaseMs), reapIntervalMs: Math.max(250, Number(leaseMs) / 4) } : {}),
});
instance = host.instanceId;
void post('/instance', { instance, mode: host.mode, db, tab, ...(build ? { build } : {}) } satisfies InstanceBody).catch(() => undefined);

if (tab !== null) {
  // Fallback mode: the driver finds the executing tab by this lock (held until this worker dies).
  void host.executing.then(() =>
    navigator.locks.request(`${executorTabLockPrefix(db)}${tab}`, () => new Promise<never>(() => undefined)),
  );
}
