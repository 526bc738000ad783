/**
 * Development builds side by side: the stepwise/vite plugin gives each development build an id
 * (the time of the latest file change the development server saw), `connect()` puts it in the
 * worker's name, so a reload after an edit starts a new worker instead of joining the one that
 * runs the old code (an `extendedLifetime` worker outlives reloads). The old worker must then
 * stop executing, or it would keep running steps with the old code: each worker with a build id
 * announces it on the peer channel, and a worker that hears of a newer build yields the executor
 * role for good (it still serves the pages of its build). Build ids compare as numbers; a worker
 * without one (a production build) takes no part.
 */
import { names, type PeerMessage } from '../rpc/protocol.ts';

/** The build id carried by a worker's name (`names.worker`), if any. */
export function buildOf(workerName: string): string | undefined {
  return /:build:(\d+)$/.exec(workerName)?.[1];
}

/**
 * Announces `build` and calls `onNewer` once when a worker of a newer build of `db` appears
 * (before or after this one started). @returns a function that stops listening
 */
export function watchBuilds(db: string, instanceId: string, build: string, onNewer: () => void): () => void {
  if (typeof BroadcastChannel === 'undefined') return () => undefined;
  const channel = new BroadcastChannel(names.peerChannel(db));
  const announce = () => channel.postMessage({ kind: 'build', build, from: instanceId } satisfies PeerMessage);
  let yielded = false;
  channel.onmessage = (ev: MessageEvent<PeerMessage>) => {
    const m = ev.data;
    if (typeof m !== 'object' || m === null || m.kind !== 'build' || m.from === instanceId || typeof m.build !== 'string' || !/^\d+$/.test(m.build)) return;
    const other = Number(m.build);
    if (other > Number(build) && !yielded) {
      yielded = true;
      onNewer();
    } else if (other < Number(build)) {
      announce(); // an older worker started after this one: tell it
    }
  };
  announce();
  return () => channel.close();
}
