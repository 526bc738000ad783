/**
 * The SharedWorker host end to end: a page connects, submits, and the run finishes in the
 * worker; a second tab watches it live.
 */
import { describe, expect, it } from 'vitest';
import type {} from './fixtures/app.page.ts';
import { openFixture, useE2eServer } from './support/harness.ts';

/** This file's port range: 27340–27349. */
const PORT = 27340;

describe('SharedWorker host', () => {
  const { browsers, origin } = useE2eServer(PORT);

  it('runs a submitted run to success and shows it live in a second tab', async () => {
    const session = await browsers.launch();
    const url = `${origin()}/e2e/fixtures/app.html?db=smoke`;
    const a = await openFixture(session, url);
    const b = await openFixture(session, url);
    expect(await a.evaluate(() => window.app.mode)).toBe('shared');
    const runId = await a.evaluate(async () => (await window.app.submit({ workflow: 'slow', input: { steps: 3, stepMs: 50 }, runId: 'smoke-1' })).runId);
    await b.evaluate((id) => window.appWatch(id), runId);
    const outcome = await a.evaluate((id) => window.app.wait(id), runId);
    expect(outcome).toMatchObject({ status: 'succeeded', result: [0, 1, 2], finalStep: 2 });
    await b.waitForFunction((id) => window.appUpdates.some((u) => u.runId === id && u.state === 'succeeded'), runId);
    const history = await b.evaluate((id) => window.app.history(id), runId);
    expect(history.map((h) => [h.stepNumber, h.attempt, h.outcome])).toEqual([[0, 1, 'continued'], [1, 1, 'continued'], [2, 1, 'succeeded']]);
    const err = await a.evaluate(async () => {
      try {
        await window.app.submit({ workflow: 'nope', input: 1 });
        return null;
      } catch (e) {
        return (e as Error).name;
      }
    });
    expect(err).toBe('UnknownWorkflow');
  });
});
