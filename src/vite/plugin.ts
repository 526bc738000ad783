/**
 * The Vite plugin of an app that uses Stepwise. It runs inside Vite (Node), never in a page.
 *
 * An app's worker module must reach the browser bundled (its imports resolved, TypeScript
 * compiled) and as a module worker, because `connect()` starts it with `type: 'module'`. Vite
 * bundles a worker only when a module imports it with `?worker&url` (or constructs it
 * literally); a plain `new URL('./worker.ts', import.meta.url)` is served compiled by the
 * development server but copied as-is (raw TypeScript) by a production build, where the worker
 * then fails to start. So the plugin:
 * - builds workers as ES modules (`worker.format: 'es'`), the format `connect()` loads, and the
 *   only one that allows a worker to split chunks (dynamic imports);
 * - fails (in development too, where it would work) on a module that imports `stepwise/client`
 *   and names a script file with `new URL('….ts', import.meta.url)` outside a Worker constructor,
 *   with the import that fixes it;
 * - pre-bundles Stepwise's entries at server start, so the development server does not discover
 *   them when the worker first loads and reload the page (and its runs) to optimize them;
 * - in development only, gives every page a build id (the time of the latest file change the
 *   server saw) that `connect()` puts in the worker's name: a reload after an edit starts a
 *   worker with the new code instead of joining an `extendedLifetime` worker that runs the old
 *   one, and the old worker yields the executor role to it. Production builds get no id.
 */
import type { Plugin, UserConfig } from 'vite';
import { BUILD_GLOBAL } from '../client/env.ts';
import { WorkflowError } from '../core/errors.ts';
import { findScriptUrls } from './script-urls.ts';

/** The options of {@link stepwise}. Reserved: none yet. */
export type StepwisePluginOptions = Record<string, never>;

/** Entries a page or a worker imports; the ones that run in Node (testing, vite) stay out. */
const BROWSER_ENTRIES = ['stepwise/client', 'stepwise/worker'];

/**
 * The plugin: `plugins: [stepwise()]` in `vite.config.ts`, then in a page
 * `import workerUrl from './worker.ts?worker&url'` and `connect({ url: workerUrl, name })`.
 * @throws `InvalidArgument` (when Vite loads the config) if the config sets `worker.format` to
 *   anything but `'es'`; fails the build (and the development page) when a worker is referenced
 *   by a `new URL()` that only works in development
 */
export function stepwise(_options: StepwisePluginOptions = {}): Plugin {
  /** Milliseconds of the latest change seen; strictly increasing, so a newer build compares greater. */
  let build = Date.now();
  const changed = () => (build = Math.max(Date.now(), build + 1));
  return {
    name: 'stepwise',
    enforce: 'pre',
    configureServer(server) {
      server.watcher.on('change', changed);
      server.watcher.on('add', changed);
      server.watcher.on('unlink', changed);
    },
    transformIndexHtml(_html, ctx) {
      if (!ctx.server) return undefined; // production: no build id, the worker keeps its name across deploys
      return [{ tag: 'script', children: `globalThis.${BUILD_GLOBAL} = ${JSON.stringify(String(build))};`, injectTo: 'head-prepend' }];
    },
    config(config: UserConfig): UserConfig {
      const format = config.worker?.format;
      if (format !== undefined && format !== 'es') {
        throw new WorkflowError(
          'InvalidArgument',
          `stepwise(): worker.format is '${format}', but connect() starts the worker as a module worker: remove worker.format from the Vite config or set it to 'es'`,
          { what: 'worker.format', value: format },
        );
      }
      return {
        worker: { format: 'es' },
        optimizeDeps: { include: BROWSER_ENTRIES.filter((entry) => !config.optimizeDeps?.exclude?.includes(entry)) },
      };
    },
    transform(code, id) {
      if (id.includes('/node_modules/') || !code.includes('stepwise/client')) return null;
      const [found] = findScriptUrls(code);
      if (found === undefined) return null;
      const file = id.split('?')[0];
      this.error(
        new WorkflowError(
          'InvalidArgument',
          `${file}: new URL('${found}', import.meta.url) gives connect() the worker's source file, which only the development server compiles: ` +
            `a production build copies it as-is and the worker fails to start. Import its bundled URL instead: ` +
            `import workerUrl from '${found}?worker&url'; connect({ url: workerUrl, name })`,
          { what: 'worker url', value: found },
        ),
      );
    },
  };
}
