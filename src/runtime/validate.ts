/**
 * Validation of what callers hand the runtime, before any transaction: a bad input gets a
 * named error and nothing is written.
 */
import { WorkflowError, describe, invalidArgument } from '../core/errors.ts';
import { idProblem } from '../core/ids.ts';
import { checkJson, type Json } from '../core/json.ts';
import type { RunSpec } from '../core/types.ts';
import { checkHeaders, checkKvKey } from '../queue/validate.ts';
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

export function checkKvValue(key: string, value: unknown, maxBytes: number): asserts value is Json {
  checkJson(value, `KV value of ${JSON.stringify(key)}`, maxBytes);
}

/** @throws `InvalidArgument`, `UnknownWorkflow`, `InvalidRunId`, `InvalidPayload`, `PayloadTooLarge`, `ReservedHeader`, `ReservedKvKey` */
export function checkRunSpec(spec: unknown, o: ResolvedOptions): asserts spec is RunSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw invalidArgument('run spec', 'must be an object { workflow, input, … }', spec);
  const s = spec as Partial<RunSpec>;
  if (typeof s.workflow !== 'string') throw invalidArgument('workflow', 'must be a string', s.workflow);
  if (!Object.hasOwn(o.workflows, s.workflow)) {
    throw new WorkflowError('UnknownWorkflow', `no workflow named ${JSON.stringify(s.workflow)} is registered`, { workflow: s.workflow.slice(0, 200) });
  }
  if (!('input' in s)) throw new WorkflowError('InvalidPayload', 'input is missing (use null for none)', { what: 'input' });
  if (s.runId !== undefined) checkRunId(s.runId);
  checkJson(s.input, 'input', o.maxPayloadBytes);
  if (s.headers !== undefined) checkUserHeaders(s.headers);
  if (s.priority !== undefined && !Number.isSafeInteger(s.priority)) throw invalidArgument('priority', 'must be an integer', s.priority);
  if (s.maxAttempts !== undefined && !(Number.isSafeInteger(s.maxAttempts) && s.maxAttempts >= 1)) throw invalidArgument('maxAttempts', 'must be an integer >= 1', s.maxAttempts);
  if (s.kvWrites !== undefined) {
    if (typeof s.kvWrites !== 'object' || s.kvWrites === null || Array.isArray(s.kvWrites)) throw invalidArgument('kvWrites', 'must be an object of key -> JSON value', s.kvWrites);
    for (const [k, v] of Object.entries(s.kvWrites)) {
      checkUserKvKey(k);
      checkKvValue(k, v, o.maxPayloadBytes);
    }
  }
  for (const k of Object.keys(s)) {
    if (!['workflow', 'input', 'runId', 'headers', 'priority', 'maxAttempts', 'kvWrites'].includes(k)) throw invalidArgument(`run spec field ${JSON.stringify(k)}`, 'is unknown');
  }
}
