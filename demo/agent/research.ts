/**
 * The research workflow: plan -> retrieve -> draft -> approve (waits for a person) -> finalize.
 * Each step is one durable unit: its result is committed with the next step's job, and its
 * model calls are memoized, so a step delivered again after a reload, a crash or a fault does
 * not pay for what it already got.
 */
import { Outcome, type Step, type StepRunner } from '../../src/worker.ts';
import { approvalKey, asJson, type Approval, type Carry, type Report, backendLabel } from '../shared.ts';
import { maybeFail } from './control.ts';
import { draft } from './draft.ts';
import { plan } from './plan.ts';
import { retrieve } from './retrieve.ts';

export const research: StepRunner = async (step: Step) => {
  const carry = step.payload as unknown as Carry;
  switch (step.stepNumber) {
    case 0: {
      const problem = checkInput(carry);
      if (problem) return Outcome.fail(problem);
      const next = await plan(step, { ...carry, ledger: [] });
      maybeFail(step);
      return Outcome.next(asJson(next));
    }
    case 1: {
      const next = await retrieve(step, carry);
      maybeFail(step);
      return Outcome.next(asJson(next));
    }
    case 2: {
      const next = await draft(step, carry);
      maybeFail(step);
      return Outcome.next(asJson(next));
    }
    case 3:
      maybeFail(step);
      // Parked, durably: no worker needs to run while the person reads the draft.
      return Outcome.waitForEvent(approvalKey(step.runId), asJson(carry));
    case 4: {
      const approval = step.event?.payload as Approval | null | undefined;
      if (approval?.decision !== 'approve' || typeof approval.text !== 'string') return Outcome.fail('no approval was received');
      maybeFail(step);
      const report: Report = {
        question: carry.question,
        answer: approval.text,
        edited: approval.text.trim() !== (carry.draft ?? '').trim(),
        plan: carry.plan ?? { subQueries: [], modelText: '', planner: 'rules + tiny model' },
        searchTerms: carry.searchTerms ?? [],
        sources: carry.sources ?? [],
        ledger: carry.ledger,
        backend: backendLabel(carry.backend),
      };
      return Outcome.succeed(asJson(report));
    }
    default:
      return Outcome.fail(`the research workflow has no step ${step.stepNumber}`);
  }
};

function checkInput(c: Carry): string | undefined {
  if (typeof c !== 'object' || c === null) return 'the input must be { question, backend }';
  if (typeof c.question !== 'string' || c.question.trim().length === 0) return 'the question is empty';
  const b = c.backend;
  if (b?.kind === 'local') return undefined;
  if (b?.kind === 'api' && typeof b.baseURL === 'string' && typeof b.model === 'string') return undefined;
  return 'unknown backend';
}
