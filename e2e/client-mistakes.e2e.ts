/**
 * A user's mistakes with the worker, in Chromium with a real SharedWorker: a worker module that
 * never calls `serve()`, and `connect()` and `serve()` given different names. Each is reported
 * to every call and to `mode`, with a message that says what to fix, instead of a silent client.
 */
import { describe, expect, it } from 'vitest';
import { openFixture, useE2eServer } from './support/harness.ts';

/** This file's port. */
const PORT = 27780;

describe('mistakes with the worker, reported to the page', () => {
  const { browsers, origin } = useE2eServer(PORT);

  it('rejects mode and calls soon after loading when the worker module never calls serve(), saying to call it', async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, `${origin()}/e2e/fixtures/app.html?db=mistakes`);
    const seen = await page.evaluate(async () => {
      const client = window.appConnect({ url: new URL('/e2e/fixtures/no-serve.worker.ts', location.href), name: 'no-serve' });
      const t0 = performance.now();
      const settle = (p: Promise<unknown>) => p.then(() => 'resolved', (e: Error) => `${e.name}: ${e.message}`);
      const [mode, call] = await Promise.all([settle(client.mode), settle(client.status('r'))]);
      client.close();
      return { mode, call, ms: performance.now() - t0 };
    });
    console.log(`[latency] worker without serve() → reported: ${Math.round(seen.ms)} ms`);
    for (const m of [seen.mode, seen.call]) {
      expect(m).toMatch(/^Unavailable: .*no-serve\.worker\.ts loaded but did not call serve\(\) within 5000 ms\. The module given to connect\(\{ url \}\) must call serve\(\{ name, workflows \}\) from 'stepwise\/worker'/);
    }
  });

  it('rejects mode and calls when connect() names another database than serve(), naming both', async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, `${origin()}/e2e/fixtures/app.html?db=mistakes`);
    const seen = await page.evaluate(async () => {
      const client = window.appConnect({ name: 'not-mistakes' });
      const settle = (p: Promise<unknown>) => p.then(() => 'resolved', (e: Error) => `${e.name}: ${e.message}`);
      const out = await Promise.all([settle(client.mode), settle(client.submit({ workflow: 'slow', input: 1 }))]);
      client.close();
      return out;
    });
    for (const m of seen) {
      expect(m).toBe(`InvalidArgument: connect() asked for the database 'not-mistakes' but the worker's serve() serves 'mistakes': pass the same name to connect({ name }) and serve({ name })`);
    }
  });
});
