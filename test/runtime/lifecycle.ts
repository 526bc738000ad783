/**
 * Closes every runtime a test opened, even one whose runner is still blocked (a plain
 * `close()` would drain forever): browser-safe, used by the scenario files of groups H–M.
 */
import { afterEach } from 'vitest';
import type { RuntimeOptions } from '../../src/runtime/options.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import { freshRuntime, type Fresh } from './harness.ts';
import { storeOf } from '../support/internals.ts';

const open = new Set<Runtime>();

/** Registers `runtime` for closing after the current test. */
export function track<R extends Runtime>(runtime: R): R {
  open.add(runtime);
  return runtime;
}

/** `freshRuntime`, with the runtime and every `reopen()` closed after the test. */
export async function fresh(options: Parameters<typeof freshRuntime>[0] = {}): Promise<Fresh> {
  const f = await freshRuntime(options);
  track(f.runtime);
  const reopen = f.reopen;
  return { ...f, reopen: async (overrides?: Partial<RuntimeOptions>) => track(await reopen(overrides)) };
}

afterEach(async () => {
  const all = [...open];
  open.clear();
  for (const rt of all) {
    await rt.stop({ drain: false }).catch(() => undefined);
    // A blocked runner keeps a drain waiting: give it a moment, then cut the connection.
    await Promise.race([rt.close().catch(() => undefined), new Promise((r) => setTimeout(r, 100))]);
    storeOf(rt).close();
  }
});
