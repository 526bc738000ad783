/**
 * `npm run demo`: the research-agent demo (demo/) on a Vite dev server, fully offline.
 *
 * - The demo imports the package by its published names (`stepwise/worker`, `stepwise/client`,
 *   `stepwise/runners/…`), as an app does; here they are aliased to the sources in src/ (the
 *   repository root stays inside Vite's allowed files), so the demo needs no build of the package.
 * - The `stepwise()` plugin builds the worker that `main.ts` imports with `?worker&url` as a
 *   module worker, in development and in a production build (docs/bundlers.md).
 * - `/models/` serves the tiny models that `npm run models` generates into models/ (`predemo`
 *   regenerates them); `vite build --config vite.demo.config.ts` copies them into the output.
 * - ONNX Runtime's glue and wasm are imported with `?url` by the worker: served (and bundled)
 *   from this origin, never from a CDN.
 * - Dependencies are not discovered at run time (a discovery reloads the page, which would
 *   interrupt the very runs the demo shows off): zod/mini (many small modules), `ai` and
 *   `@ai-sdk/openai-compatible` (the agent mode) are pre-bundled, the rest is served as it is.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, type Alias, type Plugin } from 'vite';
import { stepwise } from './src/vite.ts';

const repoRoot = fileURLToPath(new URL('.', import.meta.url));
const modelsDir = join(repoRoot, 'models');

const CONTENT_TYPES: Record<string, string> = { '.json': 'application/json', '.onnx': 'application/octet-stream' };

/** Serves models/ at /models/ (dev and preview) and copies it into a build. */
function tinyModels(): Plugin {
  const handler = (req: { url?: string }, res: ServerResponse, next: () => void) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://local').pathname);
    const file = resolve(modelsDir, `.${path}`);
    if (!file.startsWith(modelsDir + sep) || !existsSync(file) || !statSync(file).isFile()) return next();
    res.setHeader('content-type', CONTENT_TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('cache-control', 'no-cache');
    createReadStream(file).pipe(res);
  };
  return {
    name: 'stepwise-demo-models',
    configureServer(server) {
      if (!existsSync(join(modelsDir, 'tiny-gpt2'))) server.config.logger.warn('models/ is missing: run `npm run models` (`npm run demo` does it)');
      server.middlewares.use('/models', handler);
    },
    configurePreviewServer(server) {
      server.middlewares.use('/models', handler);
    },
    async writeBundle(options) {
      if (options.dir) await cp(modelsDir, join(options.dir, 'models'), { recursive: true, filter: (src) => !src.endsWith('expected.json') });
    },
  };
}

/** The package entries the demo imports (package.json `exports`), each to its source file. */
const PACKAGE_ENTRIES = ['client', 'worker', 'runners/transformers', 'runners/llm', 'ai'];
const packageAliases: Alias[] = PACKAGE_ENTRIES.map((entry) => ({
  find: new RegExp(`^stepwise/${entry}$`),
  replacement: join(repoRoot, 'src', `${entry}.ts`),
}));

export default defineConfig({
  root: fileURLToPath(new URL('./demo', import.meta.url)),
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  plugins: [stepwise(), tinyModels()],
  resolve: {
    alias: packageAliases,
    // onnxruntime-web's default browser entry references a 27 MB asyncify wasm it never fetches
    // here (transformers.js is given `wasmPaths`): this condition drops it from builds.
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
  },
  // Stepwise's entries are sources here, not dependencies to pre-bundle (the plugin would).
  // `ai` reaches a CommonJS module (through its gateway): it must be pre-bundled, with the
  // provider the agent mode uses, or the worker fails to load.
  optimizeDeps: {
    noDiscovery: true,
    include: ['zod/mini', 'ai', '@ai-sdk/openai-compatible'],
    exclude: ['stepwise/client', 'stepwise/worker', 'stepwise/ai'],
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0 },
});
