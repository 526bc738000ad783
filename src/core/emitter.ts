/**
 * A tiny synchronous event emitter. A listener that throws is isolated: the others still run
 * and the error is reported asynchronously, never into the emitting code path (which may be
 * in the middle of committing state).
 */
export type Listener<T> = (event: T) => void;

export class Emitter<T> {
  #listeners = new Set<Listener<T>>();

  /** @returns a function that removes the listener (idempotent). */
  on(listener: Listener<T>): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  emit(event: T): void {
    for (const l of [...this.#listeners]) {
      try {
        l(event);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  get size(): number {
    return this.#listeners.size;
  }
}
