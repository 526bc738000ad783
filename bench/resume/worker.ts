/**
 * The resume benchmark's app worker: `serve()` as an app ships it (SharedWorker, or the per-tab
 * dedicated fallback), with one workflow, `hold`, whose step stamps its entry (run, step,
 * attempt) and then waits `holdMs` (abortable: a cancel ends it). A step interrupted by a
 * reload, a close or a crash is redelivered by the next executor as attempt 2: the time to that
 * entry is what bench/resume.ts measures. `worker-marks.ts` is imported first so that its
 * stamps and patches precede the library's own evaluation.
 */
import { changed, marks } from './worker-marks.ts';
import { Outcome, serve, type Step } from '../../src/worker.ts';
import { now } from './marks.ts';

marks.modulesEvaluated = now();

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });
}

async function hold(step: Step) {
  marks.runners.push({ runId: step.runId, stepNumber: step.stepNumber, attempt: step.attempts, at: now() });
  changed();
  await sleep((step.payload as { holdMs: number }).holdMs, step.signal);
  return Outcome.succeed(null);
}

const host = serve({ name: marks.db, workflows: { hold }, retry: { maxAttempts: 100, baseDelayMs: 0, jitter: 0 } });
marks.instanceId = host.instanceId;
marks.mode = host.mode;
changed();
void host.ready.then(() => {
  marks.ready = now();
  changed();
}, () => undefined);
void host.executing.then(() => {
  marks.executing = now();
  changed();
}, () => undefined);
