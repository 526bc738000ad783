/**
 * `agentWorkflow(options)`: a tool-using agent as a workflow (a `StepRunner`). Each model turn
 * (one model call and the tool executions it asks for) is one step; the conversation threads
 * from step to step in the payload; the run ends with a final answer (a turn without tool
 * calls: `succeed({ text, turns, finishReason })`), at the turn limit (`fail`), or when it is
 * cancelled (the step's signal aborts the model call and the tools).
 *
 * Every turn calls the SDK's `generateText` once (one model step) with `durableModel` and
 * `durableTools`, so a redelivered turn replays its model answer and its recorded tool results
 * and pays for nothing twice. A tool that needs approval (the SDK's `needsApproval`) parks the
 * run on `Outcome.waitForEvent(approvalKey(runId, toolCallId))` (approvals.ts); the decision,
 * sent from any tab, goes into the conversation and the next turn executes the tool or hands
 * the model the rejection.
 *
 * Input: `{ prompt: string }` or `{ messages: ModelMessage[] }` (JSON). With `workflow()`, the
 * same loop is `for (let turn = 0; turn < maxTurns; turn++) { const r = await run.step(`turn
 * ${turn}`, …one generateText…); if (approvals) await run.waitForEvent(…); if (final) return r.text }`.
 */
import type { Json } from '../core/json.ts';
import { Outcome, StepError, type StepOutcome } from '../core/outcome.ts';
import type { Step, StepRunner } from '../runtime/types.ts';
import { approvalDecision, approvalKey, pendingApprovals, withApprovalResponse, type PendingApproval } from './approvals.ts';
import { decodeJson, encodeJson } from './codec.ts';
import { durableModel } from './model.ts';
import type { DurableModelOptions } from './options.ts';
import { durableTools } from './tools.ts';

/** What a turn reads of `generateText`'s result (both `ai` 6 and 7 have it). */
export interface TurnResult {
  text: string;
  toolCalls: readonly unknown[];
  finishReason: unknown;
  response: { messages: readonly unknown[] };
  /**
   * `ai` 7: every message the call added, including the results of tools approved earlier,
   * which the SDK executes before it calls the model (`response.messages` holds only the model
   * step's). Absent in `ai` 6, where `response.messages` holds them all.
   */
  responseMessages?: readonly unknown[];
}

/** The `generateText` options a turn passes. */
export interface TurnCall {
  model: unknown;
  tools?: unknown;
  system?: string;
  messages: unknown[];
  stopWhen: (state: { steps: readonly unknown[] }) => boolean;
  maxRetries: number;
  abortSignal: AbortSignal;
}

export interface AgentWorkflowOptions {
  /** The AI SDK language model (V3 or V4), or a function of the step that returns one. */
  model: object | ((step: Step) => object);
  /** The AI SDK tool set (`tool({ … })`); each `execute` is made durable. */
  tools?: Record<string, { execute?: (input: never, options: never) => unknown; [field: string]: unknown }>;
  /** The system prompt. */
  system?: string;
  /** The run fails after this many model turns without a final answer. @default 10 */
  maxTurns?: number;
  /** A pending approval counts as rejected after this many ms. @default no limit */
  approvalTimeoutMs?: number;
  /** Options of every turn's `durableModel`. */
  modelOptions?: DurableModelOptions;
  /**
   * The SDK's `generateText` (`ai` 6 or 7), called with a `TurnCall`. Typed loosely so that
   * either version's generic function fits. @default the one of the installed `ai` package
   */
  generateText?: (call: never) => PromiseLike<TurnResult>;
}

/** The payload that threads through the steps. */
type AgentState = { messages: Json; turn: number; awaiting?: { approvalId: string; toolCallId: string } };

export function agentWorkflow(options: AgentWorkflowOptions): StepRunner {
  const maxTurns = options.maxTurns ?? 10;
  if (!Number.isInteger(maxTurns) || maxTurns < 1) throw new TypeError(`agentWorkflow: maxTurns must be an integer >= 1, got ${String(options.maxTurns)}`);
  return async (step) => {
    const state = stateOf(step);
    let messages = decodeJson(state.messages) as unknown[];
    if (state.awaiting && step.event) messages = withApprovalResponse(messages, state.awaiting.approvalId, approvalDecision(step.event.payload));
    const waiting = park(step, messages, state.turn, options);
    if (waiting) return waiting;
    if (state.turn >= maxTurns) return Outcome.fail(`the agent reached its limit of ${maxTurns} turns without a final answer`);
    const generateText = (options.generateText ?? (await loadGenerateText())) as (call: TurnCall) => PromiseLike<TurnResult>;
    const model = typeof options.model === 'function' ? options.model(step) : options.model;
    const result = await generateText({
      model: durableModel(step, model as never, options.modelOptions),
      ...(options.tools ? { tools: durableTools(step, options.tools) } : {}),
      ...(options.system !== undefined ? { system: options.system } : {}),
      messages,
      stopWhen: ({ steps }) => steps.length >= 1, // one model call per turn: the turn is the step
      maxRetries: 0, // the runtime retries, durably and with the server's Retry-After
      abortSignal: step.signal,
    });
    // A turn threads everything the call added: an approved tool's result that the next turn
    // lacked would be executed again by the SDK, and the model would never see it.
    messages = [...messages, ...(result.responseMessages ?? result.response.messages)];
    const turn = state.turn + 1;
    const parked = park(step, messages, turn, options);
    if (parked) return parked;
    if (result.toolCalls.length > 0) return Outcome.next({ messages: encodeJson(messages), turn });
    return Outcome.succeed({ text: result.text, turns: turn, finishReason: encodeJson(result.finishReason) });
  };
}

/** Waits for the first pending approval, if any. */
function park(step: Step, messages: unknown[], turn: number, options: AgentWorkflowOptions): StepOutcome | undefined {
  const pending: PendingApproval | undefined = pendingApprovals(messages)[0];
  if (!pending) return undefined;
  const payload: AgentState = { messages: encodeJson(messages), turn, awaiting: { approvalId: pending.approvalId, toolCallId: pending.toolCallId } };
  const timeout = options.approvalTimeoutMs !== undefined ? { timeoutMs: options.approvalTimeoutMs } : {};
  return Outcome.waitForEvent(approvalKey(step.runId, pending.toolCallId), payload as Json, timeout);
}

function stateOf(step: Step): AgentState {
  const p = step.payload;
  if (typeof p === 'object' && p !== null && !Array.isArray(p)) {
    if (step.stepNumber > 0 && typeof p['turn'] === 'number') return p as AgentState;
    if (typeof p['prompt'] === 'string') return { messages: [{ role: 'user', content: p['prompt'] }], turn: 0 };
    if (Array.isArray(p['messages'])) return { messages: p['messages'], turn: 0 };
  }
  throw StepError.permanent('agentWorkflow input must be { prompt: string } or { messages: ModelMessage[] }');
}

async function loadGenerateText(): Promise<NonNullable<AgentWorkflowOptions['generateText']>> {
  const ai = (await import('ai')) as unknown as { generateText: NonNullable<AgentWorkflowOptions['generateText']> };
  return ai.generateText;
}
