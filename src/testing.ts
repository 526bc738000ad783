/**
 * `stepwise/testing`: helpers for an app's own browser tests.
 *
 * Everything here is Node-only (`launchChromium` spawns Chromium, `startDevServer` starts Vite, the
 * page helpers drive a page through Playwright):
 * import them from a Playwright or Vitest suite running in Node, never from page code.
 */
export { launchChromium, type ChromiumSession, type LaunchChromiumOptions } from './testing/browser.ts';
export { startDevServer, type DevServer, type DevServerOptions } from './testing/server.ts';
export { CHROMIUM_FLAGS, chromiumPath, findChromium, type ChromiumLookup } from './testing/chromium-path.ts';
export {
  advanceClock,
  closeAllTabs,
  crashCreatorTab,
  reloadPage,
  setClock,
  waitForRun,
  type ReloadPageOptions,
  type WaitForRunOptions,
} from './testing/page.ts';
