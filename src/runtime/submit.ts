/**
 * Submission: one strict transaction writes the run record, the step-0 job and the caller's
 * kvWrites, or nothing. Idempotent on (runId, canonical hash of the input): the same pair
 * answers `newlySubmitted: false`, another input for an active run `InputMismatch`. Concurrent
 * submits of one id (tabs, instances) are serialised by IndexedDB itself, so exactly one
 * creates the run.
 *
 * A run id whose run has ended may be used again, with another input: that starts a new run.
 * The same input while the ended run is still kept (`keepDoneRunsMs` after its end) is a
 * retry of the submit that started it (a page retries a call lost with its worker), so it
 * answers `newlySubmitted: false` and starts nothing; once the ended run's retention has
 * passed, the same input starts a new run.
 */
import { WorkflowError } from '../core/errors.ts';
import { hashJson, type Json } from '../core/json.ts';
import { Priority } from '../queue/types.ts';
import { checkHeaders } from '../queue/validate.ts';
import type { RunSpec, SubmitOutcome } from '../core/types.ts';
import type { RuntimeContext } from './context.ts';
import { HEADER, type RunRecord } from './records.ts';
import { checkRunSpec } from './validate.ts';
import { checkWorkflowInput } from '../functions/runner.ts';

export async function submit(ctx: RuntimeContext, spec: RunSpec): Promise<SubmitOutcome> {
  checkRunSpec(spec, ctx.options);
  // A workflow() with an input schema validates (and may transform) the input before anything is stored.
  spec = { ...spec, input: await checkWorkflowInput(ctx.options.workflows[spec.workflow], spec.workflow, spec.input, ctx.options.maxPayloadBytes) };
  const runId = spec.runId ?? ctx.queue.newId();
  const inputHash = await hashJson(spec.input);
  const headers = { ...(spec.headers ?? {}) };
  const priority = spec.priority ?? Priority.NORMAL;
  const maxAttempts = spec.maxAttempts ?? ctx.options.retry.maxAttempts;
  const jobHeaders = { ...headers, [HEADER.runId]: runId, [HEADER.step]: '0', [HEADER.workflow]: spec.workflow };
  // The input was checked above; the reserved headers still count towards the headers' size limit.
  checkHeaders(jobHeaders);

  const out = await ctx.queue.transact(async (ops) => {
    const existing = await ops.t.get<RunRecord>('runs', runId);
    const now = ops.now();
    if (existing && existing.state === 'active') {
      if (existing.inputHash !== inputHash) {
        throw new WorkflowError('InputMismatch', `run ${runId} exists with a different input`, { runId });
      }
      return { runId, newlySubmitted: false };
    }
    if (existing && existing.inputHash === inputHash && now < (existing.expiresAt ?? Infinity)) return { runId, newlySubmitted: false };
    const job = await ops.insert(ctx.options.queueName, spec.input as Json, {
      headers: jobHeaders,
      // No dedup key: the run record read above, in this transaction, already makes the run unique.
      priority,
      maxAttempts,
      runId,
    });
    const run: RunRecord = {
      runId,
      instanceId: job.id,
      workflow: spec.workflow,
      inputHash,
      headers,
      priority,
      maxAttempts,
      state: 'active',
      stepNumber: 0,
      jobId: job.id,
      submittedAt: now,
      updatedAt: now,
      // A re-used id keeps counting its history where the earlier run left it.
      historyCount: existing?.historyCount ?? 0,
    };
    ops.t.put('runs', run);
    for (const [key, value] of Object.entries(spec.kvWrites ?? {})) ops.t.put('kv', { key, value });
    return { runId, newlySubmitted: true };
  }, { strict: true });
  if (out.newlySubmitted) ctx.publish([runId]);
  return out;
}
