/**
 * Validation of what callers hand the runtime, before any transaction: a bad input gets a
 * named error and nothing is written.
 */
import { checkInt, checkString } from '../core/check.ts';
import { WorkflowError, describe, invalidArgument } from '../core/errors.ts';
import { idProblem } from '../core/ids.ts';
import { checkJson } from '../core/json.ts';
import type { RunSpec } from '../core/types.ts';
import { checkHeaders, checkKvKey, checkKvWrites } from '../queue/validate.ts';
import type { ResolvedOptions } from './options.ts';
import { RESERVED_HEADER_PREFIX, RESERVED_KV_PREFIX } from './records.ts';

export function checkRunId(runId: unknown): asserts runId is string {
  const problem = idProblem(runId);
  if (problem) throw new WorkflowError('InvalidRunId', `run id ${problem}`, { runId: describe(runId), problem });
}

/** User headers: a flat object of strings, none under the reserved `workflow.` prefix (exact, case-sensitive). */
export function checkUserHeaders(headers: unknown): asserts headers is Record<string, string> {
  checkHeaders(headers);
  for (const k of Object.keys(headers)) {
    if (k.startsWith(RESERVED_HEADER_PREFIX)) throw new WorkflowError('ReservedHeader', `header ${JSON.stringify(k)} uses the reserved prefix "workflow."`, { header: k });
  }
}

/** An app-KV key a caller may write: not under the reserved `workflow/` prefix. */
export function checkUserKvKey(key: unknown): asserts key is string {
  checkKvKey(key);
  if (key.startsWith(RESERVED_KV_PREFIX)) throw new WorkflowError('ReservedKvKey', `KV key ${JSON.stringify(key)} uses the reserved prefix "workflow/"`, { key });
}

/** @throws `InvalidArgument`, `UnknownWorkflow`, `InvalidRunId`, `InvalidPayload`, `PayloadTooLarge`, `ReservedHeader`, `ReservedKvKey` */
export function checkRunSpec(spec: unknown, o: ResolvedOptions): asserts spec is RunSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw invalidArgument('run spec', 'must be an object { workflow, input, … }', spec);
  const s = spec as Partial<RunSpec>;
  checkString(s.workflow, 'workflow');
  if (!Object.hasOwn(o.workflows, s.workflow)) {
    throw new WorkflowError('UnknownWorkflow', `no workflow named ${JSON.stringify(s.workflow)} is registered`, { workflow: s.workflow.slice(0, 200) });
  }
  if (!('input' in s)) throw new WorkflowError('InvalidPayload', 'input is missing (use null for none)', { what: 'input' });
  if (s.runId !== undefined) checkRunId(s.runId);
  checkJson(s.input, 'input', o.maxPayloadBytes);
  if (s.headers !== undefined) checkUserHeaders(s.headers);
  if (s.priority !== undefined) checkInt(s.priority, 'priority');
  if (s.maxAttempts !== undefined) checkInt(s.maxAttempts, 'maxAttempts', 1);
  if (s.kvWrites !== undefined) checkKvWrites(s.kvWrites, o.maxPayloadBytes, 'kvWrites', checkUserKvKey);
  for (const k of Object.keys(s)) {
    if (!['workflow', 'input', 'runId', 'headers', 'priority', 'maxAttempts', 'kvWrites'].includes(k)) throw invalidArgument(`run spec field ${JSON.stringify(k)}`, 'is unknown');
  }
}
