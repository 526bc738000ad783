/**
 * `stepwise/react` under server rendering (Node, no `window`): importing it touches no browser
 * global, and a render shows the loading state without calling the client.
 */
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { RunsClient } from '../../src/react/stores.ts';

describe('stepwise/react on a server', () => {
  it('renders the loading state and never calls the client', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    const { useRun, useRuns } = await import('../../src/react.ts');
    const touched: string[] = [];
    const client: RunsClient = {
      watch: () => (touched.push('watch'), () => undefined),
      status: async () => (touched.push('status'), undefined),
      list: async () => (touched.push('list'), { runs: [] }),
    };
    function Page() {
      const one = useRun(client, 'r1');
      const none = useRun(client, undefined);
      const many = useRuns(client, { state: 'running' });
      return createElement('p', null, `${one.loading ? 'loading' : 'ready'}|${none.loading ? 'loading' : 'ready'}|${many.loading ? 'loading' : 'ready'}:${many.runs.length}`);
    }
    expect(renderToString(createElement(Page))).toBe('<p>loading|ready|loading:0</p>');
    expect(touched).toEqual([]);
  });
});
