/**
 * workbox's ES modules read `process.env.NODE_ENV` (a bundler replaces it; the benchmark's Vite
 * dev server serves them unbundled). Imported first by the service worker, before workbox, so
 * workbox runs its production path: no dev-mode asserts or logging inflating its figures.
 */
const scope = globalThis as unknown as { process?: { env: Record<string, string> } };
scope.process ??= { env: { NODE_ENV: 'production' } };

export {};
