/**
 * The worker's end of the demo's control channel: the simulated network switch, fault
 * injection and API keys. All of it is worker memory: a restarted worker starts online, with
 * no fault and no keys, and asks the open pages for the keys they still hold.
 *
 * Why a simulated network: Playwright's offline mode and DevTools' throttling do not reach a
 * SharedWorker, and `navigator.onLine` cannot be set. The switch makes the worker behave as an
 * offline device does: its `navigator.onLine` reads false (through the LLM runner's network
 * seam) and its fetches fail with a network error. Turning the real network off works too.
 */
import type { Json } from 'stepwise/client';
import { eventTargetNetwork, type NetworkStatus } from 'stepwise/runners/llm';
import { agentViewKey, CONTROL_CHANNEL, draftKey, isFault, type ControlMessage, type Fault, type WorkerState } from '../shared.ts';

/** What the control channel reads from the runtime: the app KV. */
interface KvReader {
  kv: { get(key: string): Promise<Json | undefined> };
}
let runtime: Promise<KvReader> | undefined;

/** Lets the channel answer `getDraft` from the runtime's KV (drafts are durable: they survive the worker). */
export function attachRuntime(ready: Promise<KvReader>): void {
  runtime = ready;
}

const state: WorkerState = { instanceId: crypto.randomUUID().slice(0, 8), startedAt: Date.now(), online: true, fault: 'off', keysFor: [], keysWanted: [] };
const keys = new Map<string, string>();
/** How many steps wait for each endpoint's key. */
const wanted = new Map<string, number>();
const networkEvents = new EventTarget();
const keyEvents = new EventTarget();
const channel = new BroadcastChannel(CONTROL_CHANNEL);

const publish = () =>
  channel.postMessage({ kind: 'state', state: { ...state, keysFor: [...keys.keys()], keysWanted: [...wanted.keys()] } } satisfies ControlMessage);

channel.onmessage = (e: MessageEvent<ControlMessage>) => {
  const m = e.data;
  switch (m?.kind) {
    case 'hello':
      break;
    case 'getDraft':
      if (typeof m.runId === 'string' && runtime) void answerDraft(runtime, m.runId);
      return;
    case 'getAgentView':
      if (typeof m.runId === 'string' && runtime) void answerAgentView(runtime, m.runId);
      return;
    case 'setNetwork':
      state.online = m.online;
      if (m.online) networkEvents.dispatchEvent(new Event('online'));
      break;
    case 'setFault':
      if (!isFault(m.fault)) return;
      state.fault = m.fault;
      break;
    case 'key':
      if (typeof m.baseURL !== 'string' || typeof m.apiKey !== 'string') return;
      keys.set(m.baseURL, m.apiKey);
      keyEvents.dispatchEvent(new Event('key'));
      break;
    default:
      return;
  }
  publish();
};
async function answerDraft(rt: Promise<KvReader>, runId: string): Promise<void> {
  const value = await (await rt).kv.get(draftKey(runId)).catch(() => undefined);
  channel.postMessage({ kind: 'draft', runId, text: typeof value === 'string' ? value : null } satisfies ControlMessage);
}

async function answerAgentView(rt: Promise<KvReader>, runId: string): Promise<void> {
  const view = await (await rt).kv.get(agentViewKey(runId)).catch(() => undefined);
  channel.postMessage({ kind: 'agentView', runId, view: view ?? null } satisfies ControlMessage);
}

self.addEventListener('online', () => networkEvents.dispatchEvent(new Event('online')));
publish(); // pages learn that a (new) worker runs, and send the keys they hold

/** Online when the switch is on and the platform says so. */
export const network: NetworkStatus = eventTargetNetwork(
  {
    get onLine() {
      return state.online && navigator.onLine !== false;
    },
  },
  networkEvents,
);

/** `fetch`, failing as a dead network does (a TypeError) while the switch is off. */
export const controlledFetch: typeof fetch = (input, init) =>
  state.online ? fetch(input, init) : Promise.reject(new TypeError('Failed to fetch (the demo network switch is off)'));

/** The key for an endpoint, if a page sent one. */
export function keyFor(baseURL: string): string | undefined {
  return keys.get(baseURL);
}

/**
 * Resolves with the key for `baseURL` once a page sends it: a page that holds it answers the
 * state broadcast at once; after a reload no page does, and the person enters it again.
 * Rejects when the step is aborted (a cancel).
 */
export function waitForKey(baseURL: string, signal: AbortSignal): Promise<string> {
  const have = keys.get(baseURL);
  if (have !== undefined) return Promise.resolve(have);
  wanted.set(baseURL, (wanted.get(baseURL) ?? 0) + 1);
  publish();
  return new Promise((resolve, reject) => {
    const done = () => {
      keyEvents.removeEventListener('key', onKey);
      signal.removeEventListener('abort', onAbort);
      const n = (wanted.get(baseURL) ?? 1) - 1;
      if (n > 0) wanted.set(baseURL, n);
      else wanted.delete(baseURL);
      publish();
    };
    const onKey = () => {
      const k = keys.get(baseURL);
      if (k === undefined) return;
      done();
      resolve(k);
    };
    const onAbort = () => {
      done();
      reject(signal.reason);
    };
    keyEvents.addEventListener('key', onKey);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
  });
}

/**
 * The fault to inject now (see faults.ts): 'once' is used up by the call that takes it.
 */
export function takeFault(): Fault {
  const fault = state.fault;
  if (fault === 'once') {
    state.fault = 'off';
    publish();
  }
  return fault;
}

/** Whether faults are on for every attempt (the archive hook fails then too). */
export function faultEverything(): boolean {
  return state.fault === 'always';
}
