// worker.ts: the app's whole worker entry
import { serve, Outcome, type Step } from 'stepwise/worker';

async function research(step: Step) {
  if (step.stepNumber === 0) {
    let notes = await step.memo.get('notes');          // a redelivery finds what attempt 1 paid for
    if (notes === undefined) {
      notes = await search(step.payload, step.signal);
      await step.memo.put('notes', notes);
    }
    return Outcome.next({ notes });                    // step 1 runs with this payload
  }
  if (step.stepNumber === 1) return Outcome.waitForEvent(`approve:${step.runId}`, step.payload); // durable wait
  return step.event?.payload ? Outcome.succeed(step.payload) : Outcome.fail('not approved');
}

serve({ name: 'app', workflows: { research } });

/**
 * Stands in for a paid call (a search API, an LLM): answers after 1.5 s, and stops early when
 * the run is cancelled.
 */
function search(input: Step['payload'], signal: AbortSignal): Promise<string[]> {
  const question = typeof input === 'object' && input !== null && 'question' in input ? String(input.question) : '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve([`notes on "${question}"`, 'a second source']), 1500);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('cancelled'));
    }, { once: true });
  });
}
