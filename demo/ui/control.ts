/**
 * The page's end of the demo's control channel (see agent/control.ts): the network switch, fault
 * injection, and API keys, which live in this page's memory and the worker's only. When a
 * (restarted) worker lacks a key this page holds, the page sends it again.
 */
import type { Json } from 'stepwise/client';
import { CONTROL_CHANNEL, type ControlMessage, type Fault, type WorkerState } from '../shared.ts';

export class WorkerControl {
  readonly #channel = new BroadcastChannel(CONTROL_CHANNEL);
  readonly #keys = new Map<string, string>();
  readonly #drafts = new Map<string, (text: string | null) => void>();
  readonly #views = new Map<string, (view: Json | null) => void>();
  state: WorkerState | undefined;
  onState: (s: WorkerState) => void = () => undefined;
  /** Runs wait for the keys of these endpoints, and this page does not hold them. */
  onKeysMissing: (baseURLs: string[]) => void = () => undefined;

  constructor() {
    this.#channel.onmessage = (e: MessageEvent<ControlMessage>) => this.#receive(e.data);
    this.#post({ kind: 'hello' });
  }

  setNetwork(online: boolean): void {
    this.#post({ kind: 'setNetwork', online });
  }

  setFault(fault: Fault): void {
    this.#post({ kind: 'setFault', fault });
  }

  /** Keeps the key in memory and hands it to the worker (never stored anywhere). */
  setKey(baseURL: string, apiKey: string): void {
    this.#keys.set(baseURL, apiKey);
    this.#post({ kind: 'key', baseURL, apiKey });
  }

  hasKey(baseURL: string): boolean {
    return this.#keys.has(baseURL);
  }

  /** A waiting run's draft, read by the worker from the app KV. */
  draft(runId: string, timeoutMs = 3000): Promise<string | null> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#drafts.delete(runId);
        resolve(null);
      }, timeoutMs);
      this.#drafts.set(runId, (text) => {
        clearTimeout(t);
        this.#drafts.delete(runId);
        resolve(text);
      });
      this.#post({ kind: 'getDraft', runId });
    });
  }

  /** An agent run's view (transcript and step names), read by the worker from the app KV; null when there is none yet. */
  agentView(runId: string, timeoutMs = 3000): Promise<Json | null> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#views.delete(runId);
        resolve(null);
      }, timeoutMs);
      this.#views.set(runId, (view) => {
        clearTimeout(t);
        this.#views.delete(runId);
        resolve(view);
      });
      this.#post({ kind: 'getAgentView', runId });
    });
  }

  #post(m: ControlMessage): void {
    this.#channel.postMessage(m);
  }

  #receive(m: ControlMessage | undefined): void {
    switch (m?.kind) {
      case 'state':
        this.state = m.state;
        // A (restarted) worker without a key this page holds gets it again.
        for (const [baseURL, apiKey] of this.#keys) if (!m.state.keysFor.includes(baseURL)) this.#post({ kind: 'key', baseURL, apiKey });
        this.onState(m.state);
        this.onKeysMissing(m.state.keysWanted.filter((url) => !this.#keys.has(url)));
        break;
      case 'draft':
        this.#drafts.get(m.runId)?.(m.text);
        break;
      case 'agentView':
        this.#views.get(m.runId)?.(m.view);
        break;
      default:
        break;
    }
  }
}
