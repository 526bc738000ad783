/**
 * The demo's worker: the whole Stepwise side of the app. One SharedWorker serves every tab;
 * the research workflow's steps run here, next to the in-browser models.
 */
import { serve } from '../src/worker.ts';
import { archiveHook } from './agent/archive.ts';
import { attachRuntime } from './agent/control.ts';
import { research } from './agent/research.ts';
import { DB_NAME } from './shared.ts';

const host = serve({
  name: DB_NAME,
  workflows: { research },
  hooks: [archiveHook],
  retry: { maxAttempts: 3, baseDelayMs: 800, maxDelayMs: 5_000, jitter: 0.2 },
});
attachRuntime(host.ready);
