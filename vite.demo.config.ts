/**
 * `npm run demo`: a Vite dev server for demo/. It imports the library straight from src/ (the
 * repository root stays inside Vite's allowed files), so the demo needs no build and no network.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./demo', import.meta.url)),
  server: { host: '127.0.0.1', port: 5173 },
  // Dexie is the one CommonJS dependency: pre-bundle it at start rather than on first import.
  optimizeDeps: { include: ['dexie'] },
});
