/**
 * No secret at rest, in real Chromium: the LLM runner's API key is
 * worker configuration, and no IndexedDB record of the origin may hold it, also when things go
 * wrong and error text gets stored (a run's error, a dead job's last error, the attempt history):
 * - a run that succeeds (answers are stored, the key is not);
 * - a run whose key the API rejects: the 401 body echoes the presented key whole (the local
 *   server is stricter than the real API, which masks most of it);
 * - a run whose every attempt gets a 5xx error quoting the key and the Authorization header.
 * After them, every record of every object store of every database of the origin is dumped from
 * the page with the raw IndexedDB API and searched for the keys (whole, and their distinctive
 * tails).
 *
 * e2e/llm-runner.e2e.ts makes the same dump after its own runs (reload mid-stream, memo replay),
 * and the worker's refusal of raw messages that do not match the protocol is in
 * e2e/bad-input-client.e2e.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitForRun } from '../src/testing/page.ts';
import { startOpenAiServer, type OpenAiServer } from '../test/support/openai-server.ts';
import type {} from './fixtures/llm.page.ts';
import { openFixture, useE2eServer } from './support/harness.ts';

/** This file's port range: 27730–27739 (dev server 27730, the OpenAI-compatible server 27731). */
const PORT = 27730;
const API_PORT = 27731;
const KEY = 'sk-e2e-SECRET-key-9d8c7b6a5f4e3d21';
const WRONG_KEY = 'sk-e2e-WRONG-key-0a1b2c3d4e5f6789';
const QUESTION = 'what must never be written to IndexedDB';

describe('no API key at rest', () => {
  const { browsers, origin } = useE2eServer(PORT);
  let api: OpenAiServer;
  beforeAll(async () => {
    api = await startOpenAiServer({ port: API_PORT, apiKey: KEY });
  });
  afterAll(() => api?.close());
  beforeEach(() => api.reset());

  const fixtureUrl = (db: string, key: string) => `${origin()}/e2e/fixtures/llm.html?db=${db}&api=${encodeURIComponent(api.baseURL)}&key=${key}`;

  it('a dump of every store after succeeding and failing LLM runs holds no key', async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, fixtureUrl('secrets', KEY));

    // 1. Succeeds: the answers are stored.
    await page.evaluate((question) => window.app.submit({ workflow: 'agent', runId: 'ok', input: { question } }), QUESTION);
    expect(await waitForRun(page, 'ok')).toMatchObject({ state: 'succeeded' });

    // 2. Every attempt gets a 500 whose message quotes the key and the Authorization header.
    const echo = `upstream rejected Authorization: Bearer ${KEY} (key ${KEY})`;
    api.inject(...Array.from({ length: 10 }, () => ({ kind: 'status' as const, status: 500, message: echo })));
    await page.evaluate((question) => window.app.submit({ workflow: 'agent', runId: 'echoed', input: { question }, maxAttempts: 2 }), QUESTION);
    const echoed = await waitForRun(page, 'echoed');
    expect(echoed.state).toBe('failed');
    expect(echoed.error).toContain('upstream rejected');
    expect(echoed.error).toContain('[redacted]');
    api.reset();

    // 3. A worker configured with a key the API rejects: the 401 echoes it.
    const wrong = await openFixture(session, fixtureUrl('secrets-wrong', WRONG_KEY));
    await wrong.evaluate((question) => window.app.submit({ workflow: 'agent', runId: 'rejected', input: { question } }), QUESTION);
    const rejected = await waitForRun(wrong, 'rejected');
    expect(rejected.state).toBe('failed');
    expect(rejected.error).toMatch(/Incorrect API key provided/);
    expect(api.log.some((r) => r.authorization === `Bearer ${WRONG_KEY}`)).toBe(true); // it was presented

    // Every database of the origin, every store, every record.
    const dump = await page.evaluate(() => window.dumpIndexedDb());
    const parsed = JSON.parse(dump) as Record<string, Record<string, unknown[]>>;
    expect(Object.keys(parsed).sort()).toEqual(['secrets', 'secrets-wrong']);
    for (const db of Object.values(parsed)) expect(Object.keys(db).sort()).toEqual(['attempts', 'events', 'handoffs', 'history', 'jobs', 'kv', 'lg_blobs', 'lg_checkpoints', 'lg_writes', 'memos', 'queues', 'runs', 'terminals']);
    expect(dump).toContain(`Echo: plan: ${QUESTION}`); // the dump sees stored answers…
    expect(dump).toContain('upstream rejected'); // …and stored errors
    expect(dump).toContain('Incorrect API key provided');
    for (const secret of [KEY, WRONG_KEY, KEY.slice(-16), WRONG_KEY.slice(-16)]) expect(dump).not.toContain(secret);
    expect(dump).not.toMatch(/bearer\s+sk-/i);
  });
});
