/**
 * Input validation for enqueues, KV writes and claims, done once before any transaction starts,
 * so that bad input is rejected with a named error and never reaches the database.
 */
import { checkInt, checkMs, checkOptions } from '../core/check.ts';
import { WorkflowError, describe, invalidArgument } from '../core/errors.ts';
import { idProblem } from '../core/ids.ts';
import { checkJson, type Json } from '../core/json.ts';
import { checkQueueName } from './context.ts';
import type { Claim, EnqueueOptions, QueueConfig } from './types.ts';

export const MAX_DEDUP_KEY_LENGTH = 512;
export const MAX_HEADERS_BYTES = 16 * 1024;

/** @throws WorkflowError naming the first problem: `InvalidQueueName`, `InvalidPayload`, `PayloadTooLarge`, `InvalidJobId`, `InvalidArgument` */
export function checkEnqueue(queue: unknown, payload: unknown, options: unknown, config: QueueConfig): void {
  checkQueueName(queue);
  checkJson(payload, 'payload', config.maxPayloadBytes);
  if (options === undefined) return;
  checkOptions(options, 'enqueue options');
  const o = options as EnqueueOptions;
  if (o.id !== undefined) {
    const problem = idProblem(o.id);
    if (problem) throw new WorkflowError('InvalidJobId', `job id ${problem}`, { id: describe(o.id), problem });
  }
  if (o.headers !== undefined) checkHeaders(o.headers);
  if (o.dedupKey !== undefined && (typeof o.dedupKey !== 'string' || o.dedupKey.length === 0 || o.dedupKey.length > MAX_DEDUP_KEY_LENGTH)) {
    throw invalidArgument('dedupKey', `must be a string of 1 to ${MAX_DEDUP_KEY_LENGTH} characters`, o.dedupKey);
  }
  if (o.runAt !== undefined && o.delayMs !== undefined) throw invalidArgument('runAt/delayMs', 'are exclusive: give one');
  if (o.runAt !== undefined && !Number.isFinite(o.runAt)) throw invalidArgument('runAt', 'must be a finite number of ms', o.runAt);
  if (o.delayMs !== undefined) checkMs(o.delayMs, 'delayMs');
  if (o.priority !== undefined) checkInt(o.priority, 'priority');
  if (o.maxAttempts !== undefined) checkInt(o.maxAttempts, 'maxAttempts', 1);
  if (o.runId !== undefined && idProblem(o.runId)) throw new WorkflowError('InvalidRunId', `run id ${idProblem(o.runId)}`, { runId: describe(o.runId) });
  if (o.kvPut !== undefined) checkKvWrites(o.kvPut, config.maxPayloadBytes);
}

/** Headers are a flat object of string values. @throws WorkflowError `InvalidArgument` */
export function checkHeaders(headers: unknown): asserts headers is Record<string, string> {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || Object.getPrototypeOf(headers) !== Object.prototype) {
    throw invalidArgument('headers', 'must be a plain object of strings', headers);
  }
  let bytes = 0;
  for (const [k, v] of Object.entries(headers)) {
    if (typeof v !== 'string') throw invalidArgument(`headers[${JSON.stringify(k)}]`, 'must be a string', v);
    bytes += k.length + v.length;
  }
  if (bytes > MAX_HEADERS_BYTES) throw new WorkflowError('PayloadTooLarge', `headers are ${bytes} characters, above ${MAX_HEADERS_BYTES}`, { what: 'headers', bytes });
}

/** KV keys are non-empty strings; values JSON under the size cap. */
export function checkKvKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) throw invalidArgument('KV key', 'must be a string of 1 to 1024 characters', key);
}

/** KV writes: an object of key -> JSON value; `checkKey` may add rules for keys (the runtime's reserved prefix). */
export function checkKvWrites(writes: unknown, maxBytes: number, what = 'kv writes', checkKey: (key: string) => void = checkKvKey): void {
  if (typeof writes !== 'object' || writes === null || Array.isArray(writes)) throw invalidArgument(what, 'must be an object of key -> JSON value', writes);
  for (const [k, v] of Object.entries(writes)) {
    checkKey(k);
    checkKvValue(k, v, maxBytes);
  }
}

/** A KV value: JSON of at most `maxBytes`. @throws `InvalidPayload`, `PayloadTooLarge` */
export function checkKvValue(key: string, value: unknown, maxBytes: number): asserts value is Json {
  checkJson(value, `KV value of ${JSON.stringify(key)}`, maxBytes);
}

/** A claim as `claim()` returned it (the settlement then fences it against the stored job). */
export function checkClaim(claim: unknown): asserts claim is Claim {
  const c = claim as Partial<Claim> | null;
  if (typeof c !== 'object' || c === null || typeof c.token !== 'string' || typeof c.job?.id !== 'string') {
    throw invalidArgument('claim', 'must be a claim returned by claim()', claim);
  }
}
