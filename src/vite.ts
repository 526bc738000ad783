/**
 * `stepwise/vite`: the Vite plugin. Node only (Vite runs it), needs `vite` installed.
 *
 *   // vite.config.ts
 *   import { defineConfig } from 'vite';
 *   import { stepwise } from 'stepwise/vite';
 *   export default defineConfig({ plugins: [stepwise()] });
 *
 *   // a page
 *   import { connect } from 'stepwise/client';
 *   import workerUrl from './worker.ts?worker&url';
 *   const client = connect({ url: workerUrl, name: 'app' });
 */
export { stepwise, type StepwisePluginOptions } from './vite/plugin.ts';
