/**
 * The executor role between instances of one database, including two builds of the app side by
 * side during a deploy (docs/deploys.md). One Web Lock, `names.executorLock`, makes one
 * executor at a time; its queue is FIFO, so an instance that releases it and asks again is
 * served after every instance already waiting. `steal` is never used: it would let two
 * executors run at once, each recovering the other's claims.
 *
 * The holder keeps the role until it dies, or until it yields: it yields when it parked work it
 * lacks (a workflow or hook it does not register, see src/runtime/parking.ts), another live
 * instance that registers that workflow or hook waits for the lock, and the holder has held the
 * role for at least `MIN_TURN_MS`. Yielding stops claiming, waits for its steps in flight to
 * settle (so that the next holder recovers nothing of this one's), hands the parked jobs back
 * due now, releases the lock and queues for it again. When each of two builds has work only the
 * other knows, the role alternates, each turn running its own work for at least `MIN_TURN_MS`;
 * work that no live instance registers makes no one yield.
 *
 * What each instance registers is advertised in the name of a lock it holds for life
 * (`names.knowsLock`), so a holder learns it from `locks.query()` with no message exchange, and
 * an instance that dies stops advertising at once.
 */
import type { Clock } from '../core/clock.ts';
import { names } from '../rpc/protocol.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { holdForever, type LockManagerLike } from './locks.ts';

/** The least time a holder keeps the role before yielding to another build (runtime clock). */
export const MIN_TURN_MS = 2000;
/** While work is parked, how often the holder looks for an instance that knows it (runtime clock). */
export const RECHECK_MS = 1000;

export interface ExecutorRoleOptions {
  locks: LockManagerLike;
  db: string;
  instanceId: string;
  runtime: Pick<Runtime, 'start' | 'stop' | 'parking'>;
  clock: Clock;
  /** The workflow and hook names this instance registers. */
  knows: { workflows: readonly string[]; hooks: readonly string[] };
  /** Told each time this instance gains (true) or gives up (false) the role. */
  onChange(executing: boolean): void;
}

export interface ExecutorRole {
  /** Resolves once this instance first holds the role; rejects if it failed to start executing. */
  readonly first: Promise<void>;
  /** Gives the role up for good (after the current turn's drain), e.g. before the instance ends. */
  close(): void;
}

export function takeExecutorRole(o: ExecutorRoleOptions): ExecutorRole {
  let closed = false;
  let release: (() => void) | undefined;
  let firstDone!: () => void;
  let firstFailed!: (e: unknown) => void;
  const first = new Promise<void>((resolve, reject) => ((firstDone = resolve), (firstFailed = reject)));
  const lock = names.executorLock(o.db);

  const turn = async (): Promise<void> => {
    if (closed) return; // given up while queued (a newer build appeared): never start executing
    try {
      await o.runtime.start();
    } catch (e) {
      closed = true;
      firstFailed(e);
      return;
    }
    o.onChange(true);
    firstDone();
    await yieldWanted(o, lock, () => closed, (r) => (release = r));
    release = undefined;
    o.onChange(false);
    await o.runtime.stop({ drain: true });
  };

  void (async () => {
    await holdForever(o.locks, names.knowsLock(o.db, o.instanceId, o.knows));
    while (!closed) await o.locks.request(lock, turn);
  })().catch(firstFailed);
  return {
    first,
    close() {
      closed = true;
      release?.();
    },
  };
}

/** Resolves when the holder should yield (or `setRelease`'s function is called). */
async function yieldWanted(o: ExecutorRoleOptions, lock: string, closed: () => boolean, setRelease: (r: () => void) => void): Promise<void> {
  const since = o.clock.now();
  const stop = new AbortController();
  setRelease(() => stop.abort());
  let look = new AbortController();
  const off = o.runtime.parking.onParked(() => look.abort());
  try {
    while (!closed() && !stop.signal.aborted) {
      look = new AbortController();
      const parked = o.runtime.parking.parked();
      const any = parked.workflows.size > 0 || parked.hooks.size > 0;
      if (any && (await someoneElseKnows(o, lock, parked))) {
        const left = since + MIN_TURN_MS - o.clock.now();
        if (left <= 0) return;
        await o.clock.sleep(left, stop.signal).catch(() => undefined);
        continue;
      }
      const wake = AbortSignal.any([look.signal, stop.signal]);
      // Nothing parked: sleep until something is. Parked but no one to give it to: look again later.
      await (any ? o.clock.sleep(RECHECK_MS, wake) : new Promise<void>((r) => wake.addEventListener('abort', () => r(), { once: true }))).catch(() => undefined);
    }
  } finally {
    off();
  }
}

/** Whether another live instance registers some of `parked` and is queued for the executor lock. */
async function someoneElseKnows(o: ExecutorRoleOptions, lock: string, parked: { workflows: ReadonlySet<string>; hooks: ReadonlySet<string> }): Promise<boolean> {
  let snapshot: LockManagerSnapshot;
  try {
    snapshot = await o.locks.query();
  } catch {
    return false;
  }
  if (!(snapshot.pending ?? []).some((l) => l.name === lock)) return false;
  for (const held of snapshot.held ?? []) {
    const other = names.parseKnowsLock(o.db, held.name ?? '');
    if (!other || other.instanceId === o.instanceId) continue;
    if (other.workflows.some((w) => parked.workflows.has(w)) || other.hooks.some((h) => parked.hooks.has(h))) return true;
  }
  return false;
}
