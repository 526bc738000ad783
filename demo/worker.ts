/**
 * The demo's worker: the whole Stepwise side of the app. One SharedWorker serves every tab;
 * the research workflow's steps and the agent with tools run here, next to the in-browser models.
 */
import { serve } from 'stepwise/worker';
import { archiveHook } from './agent/archive.ts';
import { attachRuntime } from './agent/control.ts';
import { hookWithFaults } from './agent/faults.ts';
import { notesAgent } from './agent/notes-agent.ts';
import { research } from './agent/research.ts';
import { DB_NAME } from './shared.ts';

const host = serve({
  name: DB_NAME,
  workflows: { research, notesAgent },
  hooks: [hookWithFaults(archiveHook)],
  retry: { maxAttempts: 3, baseDelayMs: 800, maxDelayMs: 5_000, jitter: 0.2 },
});
attachRuntime(host.ready);
