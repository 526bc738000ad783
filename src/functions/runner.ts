/**
 * A `workflow()` definition as the `StepRunner` the runtime executes, and its input check at
 * submit.
 *
 * `Runtime.open` binds each definition to a `FunctionHost` (where journals are stored, and the clock), one
 * runner per definition per runtime, with its own journal cache: every delivery of step n reads
 * the run's journal from that cache (no read at all when this runner served the step before),
 * or with one range read (a restart, a run taken over from another worker), replays the
 * function to position n and returns that step's outcome. An N-step run thus reads O(N)
 * journal records in all, never O(N²).
 */
import type { Clock } from '../core/clock.ts';
import { WorkflowError, invalidArgument } from '../core/errors.ts';
import { checkJson, type Json } from '../core/json.ts';
import { StepError, isStepError, type StepOutcome } from '../core/outcome.ts';
import type { Step, StepRunner } from '../runtime/types.ts';
import { isWorkflow, type AnyWorkflow, type WorkflowInternals } from './definition.ts';
import { JournalCache, loadJournal, type JournalRecords, type JournalWrite } from './journal.ts';
import { Replay, type ReplayDeps, type StepMarker } from './replay.ts';
import { validateInput } from './standard-schema.ts';

/** What bound runners need from their runtime; attached once its store is open. */
export class FunctionHost {
  #deps: ReplayDeps | undefined;

  /** `journal`: where the runs' journals are stored (`storeJournalRecords(store)` in the browser). */
  attach(journal: JournalRecords, clock: Clock, maxPayloadBytes: number): void {
    this.#deps = { journal, clock, maxPayloadBytes };
  }

  get deps(): ReplayDeps {
    if (!this.#deps) throw new WorkflowError('StoreClosed', 'this workflow definition is not bound to an open runtime');
    return this.#deps;
  }
}

/** A bound definition: the runner, and the definition it runs (for the input check at submit). */
type BoundRunner = StepRunner & { readonly definition: AnyWorkflow };

/**
 * Turns each `workflow()` definition of a `workflows` map into a runner bound to `host`;
 * `StepRunner`s pass through unchanged.
 * @throws WorkflowError `InvalidArgument` for an entry that is neither
 */
export function bindWorkflows(workflows: Record<string, unknown>, host: FunctionHost): Record<string, StepRunner> {
  const out: Record<string, StepRunner> = {};
  for (const [name, w] of Object.entries(workflows)) {
    if (typeof w === 'function') out[name] = w as StepRunner;
    else if (isWorkflow(w)) out[name] = bindWorkflow(w, host);
    else throw invalidArgument(`workflows.${name}`, 'must be a StepRunner (step) => Promise<StepOutcome> or a workflow() definition', w);
  }
  return out;
}

/** Whether a `workflows` entry is a runner or a definition (what `Runtime.open` accepts). */
export function isWorkflowEntry(w: unknown): boolean {
  return typeof w === 'function' || isWorkflow(w);
}

function bindWorkflow(definition: AnyWorkflow, host: FunctionHost): BoundRunner {
  const cache = new JournalCache();
  const runner = async (step: Step): Promise<StepOutcome> => {
    const deps = host.deps;
    const n = step.stepNumber;
    const instance = n === 0 ? step.jobId : markerInstance(step.payload);
    let journal = cache.get(step.runId, instance, n);
    if (!journal) {
      journal = await loadJournal(deps.journal, step.runId, instance);
      journal.completeFor = n;
    }
    const pending: JournalWrite[] = [];
    if (!journal.head) {
      if (n > 0) throw missing(step, 'its input');
      pending.push({ what: 'head', value: { input: step.payload, version: definition['~workflow'].version } });
    }
    if (!journal.hasPositionsBefore(n)) throw missing(step, `the steps before step ${n}`);
    // The step after a wait is where the wait's payload (or null) arrives: record it before anything depends on it.
    if (n > 0 && journal.entries[n - 1]!.k === 'wait' && !journal.received.has(n - 1)) {
      pending.push({ what: 'received', position: n - 1, value: step.event?.payload ?? null });
    }
    const head = journal.head ?? { input: step.payload, version: definition['~workflow'].version };
    const code = pickVersion(definition, head.version, step);
    const finish = await new Replay(journal, step, head.input, pending, deps).execute(code.fn);
    if (finish.kind === 'error') {
      // The journal holds only committed records: a retry here may start from it. A permanent error ends the run.
      if (isStepError(finish.error) && finish.error.kind === 'permanent') cache.delete(step.runId);
      else cache.set(journal);
      throw finish.error;
    }
    if (finish.continues) {
      journal.completeFor = n + 1;
      cache.set(journal);
    } else {
      cache.delete(step.runId);
    }
    return finish.outcome;
  };
  return Object.assign(runner, { definition });
}

/** The definition of the version a run started on. */
function pickVersion(definition: AnyWorkflow, version: string | null, step: Step): WorkflowInternals {
  const all = [definition, ...definition['~workflow'].previous].map((d) => d['~workflow']);
  const code = all.find((d) => d.version === version);
  if (code) return code;
  const have = all.map((d) => (d.version === null ? 'unversioned' : JSON.stringify(d.version))).join(', ');
  throw StepError.permanent(
    `run ${step.runId} started on ${version === null ? 'the unversioned code' : `version ${JSON.stringify(version)}`} of workflow ${JSON.stringify(step.workflow)}, which this worker no longer has (it has ${have}): keep that definition in \`previous\` until its runs end`,
  );
}

function markerInstance(payload: Json): string {
  const instance = (payload as Partial<StepMarker> | null)?.instance;
  if (typeof instance !== 'string') throw StepError.permanent('this step job was not made by a workflow() function: its run cannot be replayed');
  return instance;
}

function missing(step: Step, what: string): StepError {
  return StepError.permanent(`the journal of run ${step.runId} has lost ${what} (its memo entries were deleted): the run cannot be replayed`);
}

/**
 * The input check at submit: a definition with an input schema validates (and may transform)
 * the input; anything else passes it through unchanged.
 * @returns the input to store
 * @throws WorkflowError `InvalidInput` (the schema's issues in `details.issues`), `InvalidPayload`
 *   / `PayloadTooLarge` when the schema's output is not storable JSON
 */
export async function checkWorkflowInput(runner: StepRunner | undefined, workflow: string, input: Json, maxBytes: number): Promise<Json> {
  const definition = (runner as Partial<BoundRunner> | undefined)?.definition;
  const schema = definition?.['~workflow'].input;
  if (!schema) return input;
  const output = await validateInput(schema, input, workflow);
  checkJson(output, `the input of workflow ${JSON.stringify(workflow)} as its schema returned it`, maxBytes);
  return output as Json;
}

