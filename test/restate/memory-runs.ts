/**
 * An in-memory `RemoteRuns` for gateway and hand-off tests: remote runs keyed by (owner, runId)
 * that a test moves by hand (`update`, `finish`) instead of a Restate service running them.
 * Counts starts, so a test can tell that a retried hand-off started nothing new.
 */
import type { Json } from '../../src/core/json.ts';
import { isTerminal, type TerminalStatus } from '../../src/core/types.ts';
import type { HandoffState, RemoteEffect, RemoteRuns, RemoteStatus } from '../../src/restate/contract.ts';

export interface MemoryRun {
  owner: string;
  state: HandoffState;
  status: RemoteStatus;
  events: { key: string; payload: Json }[];
  cancels: number;
}

export class MemoryRuns implements RemoteRuns {
  readonly runs = new Map<string, MemoryRun>();
  /** Calls of `start` that started a run. */
  started = 0;
  /** Calls of `start`, whatever they answered. */
  startCalls = 0;
  readonly #names: string[];
  readonly #ended = new Map<string, (() => void)[]>();

  constructor(workflows: readonly string[]) {
    this.#names = [...workflows];
  }

  workflows(): readonly string[] {
    return this.#names;
  }

  async start(owner: string, state: HandoffState): Promise<{ started: boolean }> {
    this.startCalls++;
    const id = key(owner, state.runId);
    if (this.runs.has(id)) return { started: false };
    this.started++;
    const status: RemoteStatus = {
      runId: state.runId,
      workflow: state.workflow,
      state: state.waiting ? 'waiting' : state.dueAt !== undefined ? 'scheduled' : 'pending',
      stepNumber: state.stepNumber,
      attempts: state.attempts,
      updatedAt: Date.now(),
      ...(state.waiting ? { eventKey: state.waiting.key } : {}),
    };
    this.runs.set(id, { owner, state, status, events: [], cancels: 0 });
    return { started: true };
  }

  async status(owner: string, runId: string): Promise<RemoteStatus | undefined> {
    const r = this.runs.get(key(owner, runId));
    return r ? structuredClone(r.status) : undefined;
  }

  async outcome(owner: string, runId: string, waitMs: number): Promise<RemoteStatus | undefined> {
    const id = key(owner, runId);
    const r = this.runs.get(id);
    if (!r) return undefined;
    if (!isTerminal(r.status.state) && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        const list = this.#ended.get(id) ?? [];
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        list.push(done);
        this.#ended.set(id, list);
      });
    }
    return structuredClone(r.status);
  }

  async cancel(owner: string, runId: string): Promise<boolean> {
    const r = this.runs.get(key(owner, runId));
    if (!r || isTerminal(r.status.state)) return false;
    r.cancels++;
    this.finish(owner, runId, 'cancelled');
    return true;
  }

  async sendEvent(owner: string, runId: string, k: string, payload: Json): Promise<boolean> {
    const r = this.runs.get(key(owner, runId));
    if (!r || isTerminal(r.status.state)) return false;
    r.events.push({ key: k, payload });
    return true;
  }

  /** Changes a live run's status (e.g. running with progress). */
  update(owner: string, runId: string, patch: Partial<RemoteStatus>): void {
    const r = this.runs.get(key(owner, runId));
    if (!r) throw new Error(`no run ${owner}/${runId}`);
    Object.assign(r.status, patch, { updatedAt: Date.now() });
  }

  /** Ends a run and wakes its outcome long-polls. */
  finish(owner: string, runId: string, state: TerminalStatus, more: { result?: Json; reason?: string; effects?: RemoteEffect[]; stepNumber?: number } = {}): void {
    const id = key(owner, runId);
    this.update(owner, runId, { state, ...more });
    for (const wake of this.#ended.get(id)?.splice(0) ?? []) wake();
  }
}

function key(owner: string, runId: string): string {
  return JSON.stringify([owner, runId]);
}
