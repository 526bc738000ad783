/**
 * Staged app-KV effects. A step (or hook) stages writes while it runs; they are committed with
 * its settlement, or dropped with it (step error, external cancel). Rules are checked at the
 * call: reserved keys, value size, one key either written or deleted. Once the
 * step has returned the handle is sealed: a late call throws `EffectsSealed`.
 */
import { WorkflowError } from '../core/errors.ts';
import type { Json } from '../core/json.ts';
import { checkEnqueue, checkKvValue } from '../queue/validate.ts';
import type { FollowUp, QueueConfig, SettleEffects } from '../queue/types.ts';
import type { Effects, TerminalEffects } from './types.ts';
import { checkUserKvKey } from './validate.ts';

export class StagedEffects implements Effects {
  readonly puts = new Map<string, Json>();
  readonly deletes = new Set<string>();
  #sealed = false;
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  put(key: string, value: Json): void {
    this.checkOpen();
    checkUserKvKey(key);
    checkKvValue(key, value, this.#maxBytes);
    if (this.deletes.has(key)) throw conflict(key);
    this.puts.set(key, structuredClone(value));
  }

  delete(key: string): void {
    this.checkOpen();
    checkUserKvKey(key);
    if (this.puts.has(key)) throw conflict(key);
    this.deletes.add(key);
  }

  seal(): void {
    this.#sealed = true;
  }

  protected checkOpen(): void {
    if (this.#sealed) throw new WorkflowError('EffectsSealed', 'effects can only be staged while the step runs');
  }

  toSettle(): Pick<SettleEffects, 'kvPut' | 'kvDelete'> {
    return { kvPut: Object.fromEntries(this.puts), kvDelete: [...this.deletes] };
  }

  /** Plain form, recorded with a replayed outcome. */
  toJson(): { put: Record<string, Json>; delete: string[] } {
    return { put: Object.fromEntries(this.puts), delete: [...this.deletes] };
  }
}

function conflict(key: string): WorkflowError {
  return new WorkflowError('ConflictingKvEffect', `KV key ${JSON.stringify(key)} is staged both for a write and a delete`, { key });
}

/** A hook's effects: KV writes plus follow-up jobs on any queue. */
export class StagedTerminalEffects extends StagedEffects implements TerminalEffects {
  readonly jobs: FollowUp[] = [];
  readonly #config: (queue: string) => QueueConfig;

  constructor(maxBytes: number, config: (queue: string) => QueueConfig) {
    super(maxBytes);
    this.#config = config;
  }

  enqueue(request: { queue: string; payload: Json; headers?: Record<string, string>; delayMs?: number; dedupKey?: string }): void {
    this.checkOpen();
    const { queue, payload, ...options } = request;
    checkEnqueue(queue, payload, options, this.#config(queue));
    this.jobs.push({ queue, payload: structuredClone(payload), ...options });
  }

  override toSettle(): SettleEffects {
    return { ...super.toSettle(), enqueue: [...this.jobs] };
  }
}
