/**
 * `durableTools(step, tools)`: the tool set with each `execute` made durable inside `step`.
 *
 * A tool call's result is recorded in `step.memo` under `ai:tool:<tool name>:<tool call id>`
 * before it is handed to the SDK, and a later delivery of the step gets the recorded result
 * without running `execute`: a recorded call never runs twice. Tool call ids are stable across
 * deliveries because the model answer that made them is itself replayed from the memo
 * (`durableModel`). Within one delivery, the same call asked twice shares one execution.
 *
 * What is not recorded runs again on a redelivery: an `execute` interrupted by a crash before
 * it returned, or one that threw (the SDK hands a thrown error to the model as a tool error,
 * and the next delivery tries again). Make such tools idempotent, or key their own side
 * effects on (run id, tool call id).
 *
 * `execute` also gets an `abortSignal` that aborts with `step.signal` (a cancelled run). A
 * tool returning an async iterable (preliminary results) passes its values through; the last
 * one is recorded. Tools without `execute` (client-side, provider-executed) are unchanged, and
 * so is `needsApproval`: approvals are the SDK's, parked durably by the runner (approvals.ts).
 */
import type { Json } from '../core/json.ts';
import { StepError } from '../core/outcome.ts';
import type { Step } from '../runtime/types.ts';
import { decodeJson, encodeJson } from './codec.ts';

/** The fields of an SDK tool this wrapper reads; the rest are kept as they are. */
type ExecOptions = { toolCallId: string; abortSignal?: AbortSignal; [field: string]: unknown };
type ToolLike = { execute?: (input: never, options: never) => unknown; [field: string]: unknown };

export function durableTools<T extends Record<string, ToolLike>>(step: Step, tools: T): T {
  if (typeof tools !== 'object' || tools === null) throw StepError.permanent('durableTools needs a tool set: an object of name -> tool');
  const inFlight = new Map<string, Promise<unknown>>();
  const out: Record<string, ToolLike> = {};
  for (const [name, tool] of Object.entries(tools)) {
    const execute = tool.execute as ((input: unknown, options: ExecOptions) => unknown) | undefined;
    if (typeof execute !== 'function') {
      out[name] = tool;
      continue;
    }
    const durable = (input: unknown, options: ExecOptions): Promise<unknown> => {
      const key = `ai:tool:${name}:${options.toolCallId}`;
      let call = inFlight.get(key);
      if (!call) {
        call = runOnce(step, key, () => execute(input, { ...options, abortSignal: linked(step.signal, options.abortSignal) }));
        inFlight.set(key, call);
        call.catch(() => inFlight.delete(key));
      }
      return call;
    };
    out[name] = { ...tool, execute: durable };
  }
  return out as T;
}

async function runOnce(step: Step, key: string, execute: () => unknown): Promise<unknown> {
  const recorded = await step.memo.get(key);
  if (typeof recorded === 'object' && recorded !== null && !Array.isArray(recorded) && 'output' in recorded) {
    return decodeJson(recorded['output'] as Json);
  }
  let output = await execute();
  if (isAsyncIterable(output)) output = await lastOf(output);
  // Recorded before the SDK sees it: from here on, the call never runs again for this step.
  await step.memo.put(key, { output: encodeJson(output) });
  return output;
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

async function lastOf(values: AsyncIterable<unknown>): Promise<unknown> {
  let last: unknown;
  for await (const v of values) last = v;
  return last;
}

function linked(a: AbortSignal, b: AbortSignal | undefined): AbortSignal {
  return b ? AbortSignal.any([a, b]) : a;
}
