/**
 * Development builds get their own worker: the stepwise/vite plugin puts a build id on every
 * development page, and `connect()` puts it in the worker's name.
 */
import { EventEmitter } from 'node:events';
import type { IndexHtmlTransformHook, ViteDevServer } from 'vite';
import { afterEach, describe, expect, it } from 'vitest';
import { BUILD_GLOBAL, browserEnv } from '../../src/client/env.ts';
import { Outcome } from '../../src/core/outcome.ts';
import { names } from '../../src/rpc/protocol.ts';
import { stepwise } from '../../src/vite.ts';
import { freshStoreOptions } from '../support/idb.ts';
import { FakeOrigin, serving } from './fake-origin.ts';

let origin: FakeOrigin | undefined;
afterEach(async () => {
  delete (globalThis as Record<string, unknown>)[BUILD_GLOBAL];
  await origin?.close();
  origin = undefined;
});

/** The plugin's HTML transform, on a development server (or in a build when `dev` is false). */
function htmlOf(plugin: ReturnType<typeof stepwise>, dev: boolean): unknown {
  const hook = plugin.transformIndexHtml as IndexHtmlTransformHook;
  return hook.call({} as never, '<html></html>', { path: '/', filename: 'index.html', ...(dev ? { server: {} as ViteDevServer } : {}) });
}

function buildIdIn(tags: unknown): string {
  const script = (tags as { children: string }[])[0]!.children;
  const m = new RegExp(`globalThis\\.${BUILD_GLOBAL} = "(\\d+)";`).exec(script);
  if (!m) throw new Error(`no build id in ${script}`);
  return m[1]!;
}

describe('development build ids', () => {
  it('gives development pages a build id that grows with every file change, and production pages none', () => {
    const plugin = stepwise();
    const watcher = new EventEmitter();
    (plugin.configureServer as (s: unknown) => void)({ watcher });
    const first = buildIdIn(htmlOf(plugin, true));
    expect(buildIdIn(htmlOf(plugin, true))).toBe(first); // a reload without an edit: the same worker
    watcher.emit('change', '/app/src/worker.ts');
    const second = buildIdIn(htmlOf(plugin, true));
    expect(Number(second)).toBeGreaterThan(Number(first));
    expect(htmlOf(plugin, false)).toBeUndefined();
  });

  it('reads the page’s build id and names a new worker for a new build', async () => {
    (globalThis as Record<string, unknown>)[BUILD_GLOBAL] = '1234';
    expect(browserEnv().build).toBe('1234');
    (globalThis as Record<string, unknown>)[BUILD_GLOBAL] = 'not digits';
    expect(browserEnv().build).toBeUndefined();

    const db = await freshStoreOptions();
    origin = new FakeOrigin(serving({ ...db, workflows: { wf: async () => Outcome.succeed(1) } }));
    origin.build = '1000';
    await origin.connect({ name: db.name, extendedLifetime: true }).mode;
    origin.build = '2000';
    await origin.connect({ name: db.name, extendedLifetime: true }).mode;
    expect(origin.started.map((w) => w.name)).toEqual([names.worker(db.name, true, '1000'), names.worker(db.name, true, '2000')]);
    expect(names.worker(db.name, true, '2000')).toBe(`stepwise:${db.name}:extended:build:2000`);
  });
});
