/**
 * An in-memory Web Locks manager for Node tests of the host: exclusive locks only, each name's
 * queue served first come first served (as Chromium does), `signal` withdraws a queued request,
 * and `query()` reports held and pending locks with the client that asked. `client(id)` is the
 * view one context (a worker, a page) gets; `kill(id)` releases everything that client holds and
 * drops its queued requests, as the death of a context does.
 */
import type { LockManagerLike } from '../../src/host/locks.ts';

interface Request {
  name: string;
  clientId: string;
  callback: (lock: Lock | null) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class FakeLocks {
  readonly #held = new Map<string, Request>();
  readonly #queues = new Map<string, Request[]>();
  readonly #dead = new Set<string>();

  client(clientId: string): LockManagerLike {
    const request = (name: string, a: LockOptions | ((l: Lock | null) => unknown), b?: (l: Lock | null) => unknown): Promise<unknown> => {
      const options = typeof a === 'function' ? {} : a;
      const callback = typeof a === 'function' ? a : b!;
      return new Promise((resolve, reject) => {
        if (this.#dead.has(clientId)) return; // a dead context's requests never settle
        const r: Request = { name, clientId, callback, resolve, reject };
        const signal = options.signal;
        if (signal?.aborted) return reject(signal.reason);
        signal?.addEventListener('abort', () => {
          const q = this.#queues.get(name) ?? [];
          const i = q.indexOf(r);
          if (i < 0) return;
          q.splice(i, 1);
          reject(signal.reason);
        });
        const q = this.#queues.get(name) ?? [];
        this.#queues.set(name, q);
        q.push(r);
        this.#grant(name);
      });
    };
    return {
      request: request as LockManagerLike['request'],
      query: async () => ({
        held: [...this.#held.values()].map((r) => ({ name: r.name, mode: 'exclusive' as const, clientId: r.clientId })),
        pending: [...this.#queues.values()].flat().map((r) => ({ name: r.name, mode: 'exclusive' as const, clientId: r.clientId })),
      }),
    };
  }

  /** The client holding `name`, if any. */
  holder(name: string): string | undefined {
    return this.#held.get(name)?.clientId;
  }

  /** Ends a client: its locks are released and its queued requests dropped. */
  kill(clientId: string): void {
    this.#dead.add(clientId);
    for (const [name, q] of this.#queues) this.#queues.set(name, q.filter((r) => r.clientId !== clientId));
    for (const [name, r] of [...this.#held]) {
      if (r.clientId !== clientId) continue;
      this.#held.delete(name);
      this.#grant(name);
    }
  }

  /** Every lock name held or queued. */
  async snapshot(): Promise<LockManagerSnapshot> {
    return this.client('observer').query();
  }

  #grant(name: string): void {
    if (this.#held.has(name)) return;
    const q = this.#queues.get(name) ?? [];
    const r = q.shift();
    if (!r) return;
    this.#held.set(name, r);
    void (async () => {
      try {
        r.resolve(await r.callback({ name, mode: 'exclusive' } as Lock));
      } catch (e) {
        r.reject(e);
      } finally {
        if (this.#held.get(name) === r && !this.#dead.has(r.clientId)) {
          this.#held.delete(name);
          this.#grant(name);
        }
      }
    })();
  }
}
