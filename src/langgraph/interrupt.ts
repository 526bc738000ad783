/**
 * `interruptWith(config, value)`: LangGraph's `interrupt()` for nodes that also run where there
 * is no AsyncLocalStorage (a browser, a worker).
 *
 * `interrupt()` finds the running node through LangChain's async-local config, which a browser
 * does not have: there it throws "Called interrupt() outside the context of a graph". Given the
 * node's own `config`, this makes that config the current one for the synchronous call of
 * `interrupt()` only (through the global slot `@langchain/core` reads its async-local storage
 * from), then puts back what was there. Where async-local storage works, it is plain `interrupt()`.
 */
import { interrupt } from '@langchain/langgraph';

/** Where `@langchain/core` keeps its async-local storage, and the key of the config in a store. */
const STORAGE_SLOT = Symbol.for('ls:tracing_async_local_storage');
const CONFIG_KEY = Symbol.for('lc:child_config');

interface Storage {
  getStore(): unknown;
  run(store: unknown, callback: () => unknown): unknown;
  enterWith(store: unknown): void;
}

/**
 * Pauses the graph for a person's answer, like `interrupt(value)`, and returns that answer once
 * the run resumes (`sendEvent(interruptKey(runId), answer)` under `graphWorkflow`). Call it
 * synchronously in the node, with the node's second argument: `(state, config) =>
 * interruptWith(config, { question })`.
 */
export function interruptWith<Resume = unknown>(config: unknown, value: unknown): Resume {
  const slots = globalThis as unknown as Record<symbol, Storage | undefined>;
  const storage = slots[STORAGE_SLOT];
  const store = storage?.getStore() as { extra?: Record<symbol, unknown> } | undefined;
  if (store?.extra?.[CONFIG_KEY] !== undefined) return interrupt(value) as Resume;
  const current = { extra: { [CONFIG_KEY]: config } };
  slots[STORAGE_SLOT] = { getStore: () => current, run: (_store, callback) => callback(), enterWith: () => undefined };
  try {
    return interrupt(value) as Resume;
  } finally {
    if (storage === undefined) delete slots[STORAGE_SLOT];
    else slots[STORAGE_SLOT] = storage;
  }
}
