/**
 * `useRun` and `useRuns` rendered by React in Chromium, against a real runtime on real
 * IndexedDB (through a small in-page client: see fake-client.ts).
 */
import { createElement, StrictMode, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { workflow } from '../../src/functions/definition.ts';
import { useRun, useRuns } from '../../src/react.ts';
import type { RunsClient } from '../../src/react/stores.ts';
import { fresh, gate } from '../functions/support.ts';
import { runtimeClient } from './fake-client.ts';

let root: Root | undefined;
let container: HTMLElement | undefined;
afterEach(() => {
  root?.unmount();
  container?.remove();
  root = undefined;
});

function render(node: ReactNode): HTMLElement {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  root.render(createElement(StrictMode, null, node));
  return container;
}

/** A workflow whose two steps wait for the test to let them go. */
function gated() {
  const first = gate('one');
  const second = gate('two');
  const wf = workflow(async (run, input: { topic: string }) => {
    const a = await run.step('first', first.fn);
    const b = await run.step('second', second.fn);
    return `${input.topic}: ${a} ${b}`;
  });
  return { wf, first, second };
}

describe('stepwise/react in a browser', { timeout: 30_000 }, () => {
  it('re-renders useRun on every status change of the run, ending with its result', async () => {
    const { wf, first, second } = gated();
    const { runtime } = await fresh({ workflows: { wf } });
    const client = runtimeClient(runtime);
    const seen: string[] = [];
    function RunCard({ runId }: { runId: string }) {
      const { status, loading } = useRun(client, runId);
      const text = loading ? 'loading' : status ? `${status.state}@${status.stepNumber}${status.result === undefined ? '' : ` ${JSON.stringify(status.result)}`}` : 'missing';
      if (seen.at(-1) !== text) seen.push(text);
      return createElement('p', null, text);
    }
    const { runId } = await runtime.submit({ workflow: 'wf', input: { topic: 'tides' }, runId: 'react-1' });
    const el = render(createElement(RunCard, { runId }));
    await first.entered;
    await expect.poll(() => el.textContent).toBe('running@0');
    first.release();
    await second.entered;
    await expect.poll(() => el.textContent).toBe('running@1');
    second.release();
    await expect.poll(() => el.textContent).toBe('succeeded@1 "tides: one two"');
    expect(seen[0]).toBe('loading');
    expect(seen).toContain('running@0');
    expect(seen.indexOf('running@0')).toBeLessThan(seen.indexOf('running@1'));
  });

  it('renders a run that does not exist, or no run id, as not loading and without a status', async () => {
    const { wf } = gated();
    const { runtime } = await fresh({ workflows: { wf } });
    const client = runtimeClient(runtime);
    function Probe({ runId }: { runId: string | undefined }) {
      const { status, loading } = useRun(client, runId);
      return createElement('p', null, `${loading ? 'loading' : 'ready'}:${status?.state ?? 'none'}`);
    }
    const el = render(createElement('div', null, createElement(Probe, { runId: 'nope' }), createElement(Probe, { runId: undefined })));
    await expect.poll(() => el.textContent).toBe('ready:noneready:none');
  });

  it('keeps useRuns current as runs are submitted, move, and enter a state filter', async () => {
    const { wf, first, second } = gated();
    const { runtime } = await fresh({ workflows: { wf } });
    const client: RunsClient = runtimeClient(runtime);
    function Lists() {
      const all = useRuns(client);
      const done = useRuns(client, { state: 'succeeded' });
      const line = (label: string, runs: readonly { runId: string; state: string }[]) => `${label}[${runs.map((r) => `${r.runId}:${r.state}`).join(',')}]`;
      return createElement('p', null, `${line('all', all.runs)} ${line('done', done.runs)}`);
    }
    const el = render(createElement(Lists));
    await expect.poll(() => el.textContent).toBe('all[] done[]');
    await runtime.submit({ workflow: 'wf', input: { topic: 'a' }, runId: 'a' });
    await first.entered;
    await expect.poll(() => el.textContent).toBe('all[a:running] done[]');
    first.release();
    second.release();
    await expect.poll(() => el.textContent).toBe('all[a:succeeded] done[a:succeeded]');
    await runtime.submit({ workflow: 'wf', input: { topic: 'b' }, runId: 'b' });
    // The newest change first; `b` runs straight through (both gates are open).
    await expect.poll(() => el.textContent).toBe('all[b:succeeded,a:succeeded] done[b:succeeded,a:succeeded]');
  });

  it('stops watching once the component unmounts', async () => {
    const { wf } = gated();
    const { runtime } = await fresh({ workflows: { wf } });
    const client = runtimeClient(runtime);
    function Both() {
      useRun(client, 'x');
      useRuns(client, { workflow: 'wf' });
      return null;
    }
    render(createElement(Both));
    await expect.poll(() => client.calls.watching).toBe(2);
    root!.unmount();
    root = undefined;
    expect(client.calls.watching).toBe(0);
  });
});
