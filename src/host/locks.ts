/**
 * Web Locks as leases and death signals (docs/platform.md): a lock is released when its holder's
 * context dies (closed tab, crash, reload, worker termination), so
 * - the executor lock makes one instance per database claim and run steps, whatever its
 *   script URL; the next holder knows every other owner's claim is abandoned;
 * - each worker holds an owner lock and an alive lock for its life: its claims name the
 *   former, pages queue on the latter and are granted it exactly when the worker dies.
 */

export interface LockManagerLike {
  request(name: string, options: LockOptions, callback: (lock: Lock | null) => Promise<unknown> | unknown): Promise<unknown>;
  request(name: string, callback: (lock: Lock | null) => Promise<unknown> | unknown): Promise<unknown>;
  query(): Promise<LockManagerSnapshot>;
}

export function lockManager(): LockManagerLike | undefined {
  return (globalThis.navigator as Navigator | undefined)?.locks as LockManagerLike | undefined;
}

/** Takes `name` and holds it until this context dies. Resolves once granted. */
export function holdForever(locks: LockManagerLike, name: string): Promise<void> {
  return new Promise<void>((granted) => {
    void locks.request(name, () => {
      granted();
      return new Promise<never>(() => undefined);
    });
  });
}
