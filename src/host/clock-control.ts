/**
 * Test control of a worker's clock, kept off the page/worker RPC surface: a worker served with a
 * clock that can be moved (a `MockClock`) answers clock requests on `names.testChannel` and holds
 * `names.clockLock` for life; a worker on any other clock does neither, so production workers
 * expose no way to move time. The check is structural (a clock with `advance` and `set`), so the
 * host does not import `MockClock` and an app that does not use it does not bundle it.
 * `stepwise/testing`'s `advanceClock`/`setClock` are the other end.
 */
import type { Clock } from '../core/clock.ts';
import { WorkflowError, invalidArgument } from '../core/errors.ts';
import { names, type ClockReply, type ClockRequest } from '../rpc/protocol.ts';

/** A clock a test can move: `MockClock` is one. */
export interface MovableClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

export function isMovableClock(clock: Clock | undefined): clock is MovableClock {
  const c = clock as Partial<MovableClock> | undefined;
  return typeof c?.advance === 'function' && typeof c.set === 'function';
}

/**
 * Answers clock requests for `db` once `ready` resolves. Each request gets one reply per serving
 * worker, naming it, with the clock's new time or the error.
 * @returns a function that stops listening
 */
export function serveClockControl(clock: MovableClock, db: string, instanceId: string, ready: Promise<unknown>): () => void {
  if (typeof BroadcastChannel === 'undefined') return () => undefined;
  const channel = new BroadcastChannel(names.testChannel(db));
  channel.onmessage = (ev: MessageEvent<ClockRequest>) => {
    const m = ev.data;
    if (typeof m !== 'object' || m === null || m.kind !== 'clock' || typeof m.id !== 'string') return;
    void ready.then(
      () => {
        let reply: ClockReply;
        try {
          reply = { kind: 'clockReply', id: m.id, instanceId, now: move(clock, m.op, m.ms) };
        } catch (e) {
          reply = { kind: 'clockReply', id: m.id, instanceId, error: { name: (e as Error).name, message: (e as Error).message } };
        }
        channel.postMessage(reply);
      },
      () => undefined, // the runtime did not open: the page's calls already say why
    );
  };
  return () => channel.close();
}

function move(clock: MovableClock, op: unknown, ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw invalidArgument('ms', 'must be a finite number', ms);
  if (op === 'advance') {
    if (ms < 0) throw invalidArgument('ms', 'must be >= 0', ms);
    clock.advance(ms);
  } else if (op === 'set') {
    clock.set(ms);
  } else {
    throw new WorkflowError('InvalidArgument', `unknown clock operation ${String(op)}: use 'advance' or 'set'`);
  }
  return clock.now();
}
