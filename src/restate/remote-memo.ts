/**
 * A step's memo on Restate: entries in the run's data object, reached through the ingress from
 * inside the step's `ctx.run`. Keys are the browser's (`k:<key>`, `c:<canonical JSON hash>`),
 * so entries handed off from the browser are found, and the other way round.
 */
import type { Ingress } from '@restatedev/restate-sdk-clients';
import { WorkflowError } from '../core/errors.ts';
import type { Json } from '../core/json.ts';
import { KeyedMemo } from '../runtime/keyed-memo.ts';
import { dataObject, type MemoWrite } from './data-object.ts';

/** The data object of one run, as one delivery (step, attempt) sees it: its writes are fenced on it. */
export class RunData {
  readonly #client: ReturnType<Ingress['objectClient']> & DataClient;
  readonly fence: { step: number; attempt: number };

  constructor(ingress: Ingress, key: string, fence: { step: number; attempt: number }) {
    this.#client = ingress.objectClient(dataObject, key) as unknown as DataClient & ReturnType<Ingress['objectClient']>;
    this.fence = fence;
  }

  /** Begins a delivery of `step`: its attempt number (the fence of its writes). */
  async begin(step: number): Promise<number> {
    return this.#client.begin(step);
  }

  async get(step: number, key: string): Promise<Json | undefined> {
    const found = await this.#client.get({ step, key });
    return found === null ? undefined : found.v;
  }

  async list(step: number, prefix: string): Promise<{ key: string; value: Json }[]> {
    return this.#client.list({ step, prefix });
  }

  /** @throws WorkflowError `ClaimLost` when a later delivery of the step began */
  async put(entries: MemoWrite['entries'], keepExisting = false): Promise<Json[]> {
    try {
      return await this.#client.put({ fence: this.fence, entries, keepExisting });
    } catch (e) {
      throw claimLostOr(e);
    }
  }

  async progress(update: Json): Promise<void> {
    await this.#client.progress({ fence: this.fence, update });
  }
}

/** The ingress client of the data object, typed by what the handlers take and answer. */
interface DataClient {
  begin(step: number): Promise<number>;
  get(q: { step: number; key: string }): Promise<{ v: Json } | null>;
  list(q: { step: number; prefix: string }): Promise<{ key: string; value: Json }[]>;
  put(w: MemoWrite): Promise<Json[]>;
  progress(p: { fence: MemoWrite['fence']; update: Json }): Promise<void>;
}

function claimLostOr(e: unknown): unknown {
  const message = e instanceof Error ? e.message : String(e);
  if (message.includes('ClaimLost')) return new WorkflowError('ClaimLost', 'a later delivery of this step began: this one writes nothing more');
  return e;
}

/** `step.memo` of one delivery: the run's data object, writes fenced on the delivery. */
export class RemoteMemo extends KeyedMemo {
  readonly #data: RunData;
  readonly #step: number;

  constructor(data: RunData, step: number, maxBytes: number) {
    super(maxBytes);
    this.#data = data;
    this.#step = step;
  }

  protected read(key: string): Promise<Json | undefined> {
    return this.#data.get(this.#step, key);
  }

  protected async write(key: string, value: Json): Promise<void> {
    await this.#data.put([{ step: this.#step, key, value }]);
  }
}


