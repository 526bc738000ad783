// worker.ts: the app's whole worker entry
import { serve, workflow } from 'stepwise/worker';

interface Question {
  question: string;
}

const research = workflow(async (run, input: Question) => {
  // One step: recorded once it returns, so a reload or a crash never pays for it twice.
  const notes = await run.step('search', (step) => search(input.question, step.signal));
  // A durable wait: the run parks until any tab sends the event (or forever, without timeoutMs).
  const approved = await run.waitForEvent<boolean>('approval', `approve:${run.runId}`);
  if (!approved) return run.fail('not approved');
  return { notes };
});

/** What pages may import as a type: `connect<typeof workflows>()` would type submit and wait by it. */
export const workflows = { research };

serve({ name: 'app', workflows });

/**
 * Stands in for a paid call (a search API, an LLM): answers after 1.5 s, and stops early when
 * the run is cancelled.
 */
function search(question: string, signal: AbortSignal): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve([`notes on "${question}"`, 'a second source']), 1500);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('cancelled'));
    }, { once: true });
  });
}
