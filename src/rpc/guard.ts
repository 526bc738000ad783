/**
 * A guard in front of `comlink.expose`: only calls of the declared `WorkerApi` methods, with
 * plain (cloned) arguments, reach the worker. comlink on its own also serves GET and SET of
 * any property path and CONSTRUCT, which would let a page read or overwrite worker internals.
 * A refused call gets a named `InvalidArgument` error back; a message that is not even a
 * comlink request is dropped.
 */
import type { Endpoint } from 'comlink';

interface RequestLike {
  id?: unknown;
  type?: unknown;
  path?: unknown;
  argumentList?: unknown;
}

/** A MessagePort or a dedicated worker's global scope. */
export interface Port {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener: MessagePort['addEventListener'];
  removeEventListener: MessagePort['removeEventListener'];
  start?: () => void;
}

export function guardedEndpoint(port: Port, methods: readonly string[]): Endpoint {
  const allowed = new Set(methods);
  const wrapped = new Map<EventListenerOrEventListenerObject, EventListener>();
  const refuse = (id: unknown, why: string) => {
    if (typeof id !== 'string') return;
    port.postMessage({ id, type: 'HANDLER', name: 'throw', value: { isError: true, value: { name: 'InvalidArgument', message: `refused by the worker: ${why}`, details: { what: 'rpc message' } } } }, []);
  };
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) => port.postMessage(message, transfer ?? []),
    addEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      const w: EventListener = (ev) => {
        const data = (ev as MessageEvent).data as RequestLike | null;
        if (typeof data !== 'object' || data === null || typeof data.id !== 'string') return;
        if (data.type === 'RELEASE') {
          // Only a bare release passes: comlink's own release is exactly `{ id, type: 'RELEASE' }`,
          // but its `expose` still walks `path` on the API object and deserializes `argumentList`
          // (transfer handlers included: a `proxy` argument was wrapped, a bad one threw uncaught
          // in the worker) for a RELEASE. So a release carrying either is refused like any other
          // call that is not plain data.
          const bare = (data.path === undefined || (Array.isArray(data.path) && data.path.length === 0)) && data.argumentList === undefined;
          return bare ? call(listener, ev) : refuse(data.id, 'a release carries no path and no arguments');
        }
        if (data.type !== 'APPLY') return refuse(data.id, `only method calls are served, not ${String(data.type)}`);
        const path = data.path;
        if (!Array.isArray(path) || path.length !== 1 || typeof path[0] !== 'string' || !allowed.has(path[0])) {
          return refuse(data.id, 'unknown method');
        }
        const args = data.argumentList;
        if (!Array.isArray(args) || !args.every((a) => typeof a === 'object' && a !== null && (a as { type?: unknown }).type === 'RAW')) {
          return refuse(data.id, 'arguments must be plain data');
        }
        call(listener, ev);
      };
      wrapped.set(listener, w);
      port.addEventListener(type, w);
    },
    removeEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      const w = wrapped.get(listener);
      if (w) port.removeEventListener(type, w);
      wrapped.delete(listener);
    },
    ...(port.start ? { start: () => port.start!() } : {}),
  } as Endpoint;
}

function call(listener: EventListenerOrEventListenerObject, ev: Event): void {
  if (typeof listener === 'function') listener(ev);
  else listener.handleEvent(ev);
}
