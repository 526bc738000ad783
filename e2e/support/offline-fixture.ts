/**
 * A fixture page in Chromium that must work offline: the dev server on `port`, a trap proxy on
 * `trapPort` that every browser context (SharedWorkers included) goes through and that refuses
 * every non-loopback request, a fresh on-disk profile. `close()` undoes all of it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../src/testing/browser.ts';
import { startDevServer } from '../../src/testing/server.ts';
import { openFixture } from './harness.ts';
import { startTrapProxy, type TrapProxy } from './trap-proxy.ts';

export interface OfflineFixture {
  /** The dev server's origin: every request the page makes must go there. */
  origin: string;
  page: Page;
  trap: TrapProxy;
  close(): Promise<void>;
}

/** `path`: the fixture page, from the server root (e.g. `/e2e/fixtures/x.html?db=x`). */
export async function openOfflineFixture(o: { port: number; trapPort: number; path: string; optimizeDeps?: string[] }): Promise<OfflineFixture> {
  const server = await startDevServer({ port: o.port, ...(o.optimizeDeps ? { optimizeDeps: o.optimizeDeps } : {}) });
  const trap = await startTrapProxy(o.trapPort);
  const profileDir = await mkdtemp(join(tmpdir(), 'stepwise-e2e-offline-'));
  const session = await launchChromium({ profileDir, extraArgs: [`--proxy-server=${trap.url}`] });
  const page = await openFixture(session, `${server.origin}${o.path}`);
  return {
    origin: server.origin,
    page,
    trap,
    async close() {
      await session.close();
      await trap.close();
      await server.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}
