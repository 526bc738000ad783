/**
 * One Vite config: the library build (dist/) and the three Vitest projects.
 * - node:     unit tests in Node, IndexedDB from fake-indexeddb (fast, not the real thing);
 * - chromium: the store/queue/runtime suites again in real headless Chromium (real IndexedDB);
 * - e2e:      Node-side Playwright tests driving Chromium with persistent on-disk profiles
 *             (crashes, reloads, SharedWorker), for what only a whole browser can show.
 */
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { CHROMIUM_FLAGS, findChromium } from './src/testing/chromium-path.ts';

const entries = {
  index: 'src/index.ts',
  worker: 'src/worker.ts',
  client: 'src/client.ts',
  'runners/llm': 'src/runners/llm.ts',
  'runners/transformers': 'src/runners/transformers.ts',
  ai: 'src/ai.ts',
  inspect: 'src/inspect.ts',
  testing: 'src/testing.ts',
  vite: 'src/vite.ts',
  langgraph: 'src/langgraph.ts',
  react: 'src/react.ts',
  restate: 'src/restate.ts',
};

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    lib: { entry: entries, formats: ['es'] },
    rolldownOptions: {
      external: [/^node:/, 'comlink', 'eventsource-parser', 'playwright-core', 'playwright', 'vite', /^@huggingface\//, /^@xenova\//, 'ai', /^@ai-sdk\//, /^@langchain\//, 'react', /^react\//, /^react-dom(\/|$)/, /^@restatedev\//],
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.browser-only.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'chromium',
          globalSetup: ['test/ai/openai-server.setup.ts'],
          include: ['test/store/**/*.test.ts', 'test/queue/**/*.test.ts', 'test/runtime/browser/**/*.test.ts', 'test/functions/browser/**/*.test.ts', 'test/**/*.browser-only.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: findChromium(), args: [...CHROMIUM_FLAGS] } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['e2e/**/*.e2e.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
