/**
 * "Is the device offline?" as a seam. A request that fails on the network while the platform
 * says it is offline does not spend an attempt: the step waits for the `online` event and sends
 * the request again (see chat.ts).
 *
 * Testing note: Playwright's `context.setOffline(true)` does not reach a SharedWorker (its
 * fetches keep flowing; docs/platform.md). Tests make the network fail for real
 * (a closed port, a dropped connection) and drive offline/online through `manualNetwork` or an
 * `eventTargetNetwork` whose events they dispatch themselves.
 */

export interface NetworkStatus {
  /** False only when the platform knows it is offline (`navigator.onLine === false`). */
  isOnline(): boolean;
  /**
   * Resolves at once when online, else at the next `online` event; rejects with the signal's
   * reason when it aborts first.
   */
  whenOnline(signal: AbortSignal): Promise<void>;
}

/** Anything with `onLine` and `online` events (a window, a worker scope, a test double). */
export interface OnlineSource {
  readonly onLine: boolean | undefined;
}

/**
 * `navigator.onLine` and the global `online` event. Where neither exists (Node), the network
 * counts as always online, so a network failure is simply transient.
 */
export function browserNetwork(): NetworkStatus {
  const target = typeof (globalThis as { addEventListener?: unknown }).addEventListener === 'function' ? (globalThis as unknown as EventTarget) : undefined;
  const nav = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
  return eventTargetNetwork({ get onLine() { return nav?.onLine; } }, target);
}

/** Online state read from `source.onLine`, woken by `online` events on `events`. */
export function eventTargetNetwork(source: OnlineSource, events: EventTarget | undefined): NetworkStatus {
  const isOnline = () => source.onLine !== false;
  return {
    isOnline,
    whenOnline(signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const done = () => {
          events?.removeEventListener('online', onOnline);
          signal.removeEventListener('abort', onAbort);
        };
        const onOnline = () => {
          done();
          resolve();
        };
        const onAbort = () => {
          done();
          reject(signal.reason);
        };
        events?.addEventListener('online', onOnline);
        signal.addEventListener('abort', onAbort, { once: true });
        // Checked after subscribing: an `online` event between the failure and here is not lost.
        if (isOnline()) onOnline();
      });
    },
  };
}

/** A network whose state a test sets: `setOnline(true)` fires `online`. */
export function manualNetwork(initiallyOnline = true): NetworkStatus & { setOnline(online: boolean): void; readonly waiting: number } {
  const events = new EventTarget();
  let online = initiallyOnline;
  let waiting = 0;
  const inner = eventTargetNetwork({ get onLine() { return online; } }, events);
  return {
    isOnline: inner.isOnline,
    async whenOnline(signal) {
      waiting++;
      try {
        await inner.whenOnline(signal);
      } finally {
        waiting--;
      }
    },
    setOnline(v: boolean) {
      online = v;
      if (v) events.dispatchEvent(new Event('online'));
    },
    /** How many `whenOnline` calls are pending (a step parked offline). */
    get waiting() {
      return waiting;
    },
  };
}
