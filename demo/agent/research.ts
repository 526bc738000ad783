/**
 * The research agent, as one durable function: plan -> retrieve -> draft -> approve (waits for
 * a person) -> finalize.
 *
 * Each `run.step` is one durable step of the run, with its own attempts: its result is recorded
 * once it returns, and every later execution of this function (the next step, a reload, a crash,
 * an injected fault) gets it back without running the step again. A step cut off midway runs
 * again, and its runners answer the model calls it had already paid for from its memo.
 *
 * The code between the steps runs again on every execution, so it only combines what the steps
 * returned: the model calls, the waiting and the writes happen inside steps.
 */
import { workflow } from 'stepwise/worker';
import { Approval, RunInput, type Report } from '../schemas.ts';
import { approvalKey, backendLabel } from '../shared.ts';
import { draft } from './draft.ts';
import { plan } from './plan.ts';
import { retrieve } from './retrieve.ts';

export const research = workflow({ input: RunInput }, async (run, input) => {
  const planned = await run.step('plan', (step) => plan(step, input));
  const retrieved = await run.step('retrieve', (step) => retrieve(step, planned.plan));
  const drafted = await run.step('draft', (step) => draft(step, input, retrieved.sources));

  // Parked, durably: no worker needs to run while the person reads the draft, in any tab.
  const approval = Approval.safeParse(await run.waitForEvent('approve', approvalKey(run.runId)));
  if (!approval.success) {
    const issues = approval.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`);
    return run.fail(`the approval is not { decision: 'approve', text } (${issues.join('; ')})`);
  }

  return run.step(
    'finalize',
    async (): Promise<Report> => ({
      question: input.question,
      answer: approval.data.text,
      edited: approval.data.text.trim() !== drafted.text.trim(),
      plan: planned.plan,
      searchTerms: retrieved.searchTerms,
      sources: retrieved.sources,
      ledger: [planned.calls, retrieved.calls, drafted.calls],
      backend: backendLabel(input.backend),
    }),
  );
});
