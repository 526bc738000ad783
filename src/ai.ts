/**
 * `stepwise/ai`: AI SDK (`ai` 6 and 7) models and tools as durable steps.
 *
 *   import { generateText } from 'ai';
 *   async function answer(step: Step) {
 *     const { text } = await generateText({ model: durableModel(step, provider('gpt-4o-mini')), prompt: '…' });
 *     return Outcome.succeed(text);
 *   }
 *
 * `durableModel` memoizes each model call in the step's memo (a redelivered step pays for
 * nothing twice), streams the partial answer to every open page through `step.progress`,
 * aborts with `step.signal`, extends the lease while the answer arrives, and maps provider
 * failures to `StepError`s. `durableTools` records each tool call's result; `agentWorkflow` is a
 * tool-using agent loop with durable approvals. Keys and request headers never reach storage.
 */
export { durableModel, durableMiddleware } from './ai/model.ts';
export type { DurableModelOptions } from './ai/options.ts';
export { durableTools } from './ai/tools.ts';
export { approvalKey, approvalDecision, pendingApprovals, withApprovalResponse, type PendingApproval } from './ai/approvals.ts';
export { agentWorkflow, type AgentWorkflowOptions, type TurnCall, type TurnResult } from './ai/agent.ts';
export { transformersModel, type TransformersModelOptions } from './ai/transformers-model.ts';
export type { TokenProgress } from './runners/token-progress.ts';
