/**
 * The virtual object beside each remote run (same key): what a step reaches from inside its
 * `ctx.run` through the ingress (context calls are not allowed there), and what must be
 * readable from any process while the run goes on.
 *
 * State keys: `m:<step>:<stored key>` memo entries (stored keys as the browser's memo table has
 * them: `k:<key>`, `c:<hash>`, the journal of a `workflow()` run under step -1; each value is
 * stored as `{ v: value }`, so a stored `null` is told from no entry), `a:<step>` the
 * deliveries of a step so far, `p` the latest progress, `e:<event key>` how many events were
 * sent for that key, `init` once the hand-off's state was written, `cancel` once asked.
 *
 * Exclusive handlers (one at a time per key) write; shared handlers read committed state
 * concurrently, so a memo `get` on the next attempt sees the `put` of the one before, also
 * when the process that made it was killed right after.
 */
import * as restate from '@restatedev/restate-sdk';
import type { Json } from '../core/json.ts';
import type { HandoffMemoEntry } from './contract.ts';
import { DATA_SERVICE, RUN_SERVICE } from './keys.ts';

/** What `init` writes: the hand-off's memo, the step's deliveries so far, the events buffered before. */
export interface DataInit {
  memo: HandoffMemoEntry[];
  stepNumber: number;
  attempts: number;
  events: { key: string; payload: Json }[];
}

/** A batch of memo writes, fenced on the delivery (step, attempt) that makes them. */
export interface MemoWrite {
  fence: { step: number; attempt: number };
  entries: { step: number; key: string; value: Json }[];
  /** Keep an entry already there and answer its value (the journal of `workflow()` runs is append-only). */
  keepExisting?: boolean;
}

export interface DataView {
  progress?: { stepNumber: number; update: Json };
  cancelRequested: boolean;
}

/** The name of the workflow's durable promise that carries the `index`-th event sent for `key`. */
export function eventPromiseName(key: string, index: number): string {
  return `ev:${index}:${key}`;
}

/** A memo value as stored. */
export interface Stored {
  v: Json;
}

const memoKey = (step: number, key: string) => `m:${step}:${key}`;

/** The handlers of the run workflow the object calls (shape only: the object needs no code of it). */
interface RunDeliver {
  deliver(ctx: restate.WorkflowSharedContext, e: { name: string; payload: Json }): Promise<void>;
}
const runRef = { name: RUN_SERVICE } as restate.WorkflowDefinition<typeof RUN_SERVICE, RunDeliver>;

async function sendEvent(ctx: restate.ObjectContext, key: string, payload: Json): Promise<void> {
  const index = (await ctx.get<number>(`e:${key}`)) ?? 0;
  ctx.set(`e:${key}`, index + 1);
  ctx.workflowSendClient(runRef, ctx.key).deliver({ name: eventPromiseName(key, index), payload });
}

export const dataObject = restate.object({
  name: DATA_SERVICE,
  handlers: {
    /** Writes the hand-off's state once; later calls (a retried hand-off) change nothing. @returns whether it wrote */
    async init(ctx: restate.ObjectContext, init: DataInit): Promise<boolean> {
      if (await ctx.get<boolean>('init')) return false;
      ctx.set('init', true);
      for (const e of init.memo) ctx.set(memoKey(e.stepNumber, e.key), { v: e.value });
      ctx.set(`a:${init.stepNumber}`, init.attempts);
      for (const e of init.events) await sendEvent(ctx, e.key, e.payload);
      return true;
    },
    /** Starts a delivery of `step`: its attempt number (deliveries so far + 1), the fence of its writes. */
    async begin(ctx: restate.ObjectContext, step: number): Promise<number> {
      const attempt = ((await ctx.get<number>(`a:${step}`)) ?? 0) + 1;
      ctx.set(`a:${step}`, attempt);
      return attempt;
    },
    /** @throws TerminalError `ClaimLost` (nothing written) when a later delivery of the step began */
    async put(ctx: restate.ObjectContext, w: MemoWrite): Promise<Json[]> {
      await fence(ctx, w.fence);
      const stored: Json[] = [];
      for (const e of w.entries) {
        const existing = w.keepExisting ? await ctx.get<Stored>(memoKey(e.step, e.key)) : null;
        if (existing !== null) stored.push(existing.v);
        else {
          ctx.set(memoKey(e.step, e.key), { v: e.value });
          stored.push(e.value);
        }
      }
      return stored;
    },
    /** @throws TerminalError `ClaimLost` as `put` */
    async progress(ctx: restate.ObjectContext, p: { fence: { step: number; attempt: number }; update: Json }): Promise<void> {
      await fence(ctx, p.fence);
      ctx.set('p', { stepNumber: p.fence.step, update: p.update });
    },
    async sendEvent(ctx: restate.ObjectContext, e: { key: string; payload: Json }): Promise<void> {
      await sendEvent(ctx, e.key, e.payload);
    },
    async requestCancel(ctx: restate.ObjectContext): Promise<void> {
      ctx.set('cancel', true);
    },
    /** Drops memo and progress once the run ended (`init` stays: a late hand-off retry writes nothing). */
    async clear(ctx: restate.ObjectContext): Promise<void> {
      for (const k of await ctx.stateKeys()) if (k.startsWith('m:') || k.startsWith('a:') || k === 'p') ctx.clear(k);
    },
    /** The entry, as `{ v: value }`, or null when there is none. */
    get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext, q: { step: number; key: string }): Promise<Stored | null> => {
      return ctx.get<Stored>(memoKey(q.step, q.key));
    }),
    /** The entries of `step` whose stored key starts with `prefix`, in key order. */
    list: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext, q: { step: number; prefix: string }): Promise<{ key: string; value: Json }[]> => {
      const head = memoKey(q.step, q.prefix);
      const keys = (await ctx.stateKeys()).filter((k) => k.startsWith(head)).sort();
      const out: { key: string; value: Json }[] = [];
      for (const k of keys) out.push({ key: k.slice(memoKey(q.step, '').length), value: ((await ctx.get<Stored>(k)) as Stored).v });
      return out;
    }),
    view: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext): Promise<DataView> => {
      const progress = await ctx.get<{ stepNumber: number; update: Json }>('p');
      return { ...(progress === null ? {} : { progress }), cancelRequested: (await ctx.get<boolean>('cancel')) === true };
    }),
  },
});

export type DataObject = typeof dataObject;

async function fence(ctx: restate.ObjectContext, f: { step: number; attempt: number }): Promise<void> {
  const current = (await ctx.get<number>(`a:${f.step}`)) ?? 0;
  if (current !== f.attempt) throw new restate.TerminalError(`ClaimLost: delivery ${f.attempt} of step ${f.step} is no longer the current one (${current})`);
}
