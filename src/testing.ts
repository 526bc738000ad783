/**
 * `stepwise/testing`: helpers for an app's own browser tests.
 *
 * `launchChromium` and `startDevServer` are Node-only (they spawn processes and start Vite):
 * import them from a Playwright or Vitest suite running in Node, never from page code.
 */
export { launchChromium, type ChromiumSession, type LaunchChromiumOptions } from './testing/browser.ts';
export { startDevServer, type DevServer, type DevServerOptions } from './testing/server.ts';
export { CHROMIUM_FLAGS, chromiumPath } from './testing/chromium-path.ts';
