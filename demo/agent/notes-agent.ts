/**
 * The "agent with tools" mode: an AI SDK tool loop over the bundled notes, as one durable
 * function: the loop `stepwise/ai` documents for `workflow()`.
 *
 * - Each model turn is one `run.step`: one `streamText` call (one model step) with the model
 *   wrapped in `durableModel` (memoized, its text and tool calls streamed to every tab through
 *   `step.progress`) and the tools in `durableTools` (each tool call runs at most once, its
 *   result recorded). The conversation threads from step to step as the steps' results.
 * - A tool that needs approval (`saveSummary`) parks the run on `run.waitForEvent` with the key
 *   `approvalKey(runId, toolCallId)`; any tab answers it. The decision goes into the
 *   conversation, and the next turn runs the tool or hands the model the rejection.
 * - The run ends with the model's final answer (a turn without tool calls), or fails after
 *   MAX_TURNS turns.
 *
 * `ai` (about 1 MB) is loaded with the first turn, not with the worker: a worker that only runs
 * the research agent starts as fast as before, which is what a reload waits for.
 */
import type { ModelMessage } from 'ai';
import type { Json } from 'stepwise/client';
import { approvalDecision, approvalKey, durableModel, durableTools, pendingApprovals, withApprovalResponse } from 'stepwise/ai';
import { workflow, type Step } from 'stepwise/worker';
import { RunInput, type AgentResult, type AgentView, type SavedSummary } from '../schemas.ts';
import { agentViewKey, backendLabel, summaryKey } from '../shared.ts';
import { agentModel } from './agent-model.ts';
import { noteTools } from './note-tools.ts';
import { savedSummary, viewOf } from './transcript.ts';

const MAX_TURNS = 8;

const SYSTEM =
  'You help with a small library of household notes. Use searchNotes to find notes, readNote to read one, ' +
  'then saveSummary to save a two-sentence summary of the most useful note (a person approves or rejects it). ' +
  'If the summary is rejected, do not try again: say so. Finish with one short sentence.';

interface Turn {
  /** The conversation after this turn (model messages, as JSON). */
  messages: Json[];
  text: string;
  final: boolean;
  view: AgentView;
  summary: SavedSummary | null;
  scripted: boolean;
}

export const notesAgent = workflow({ input: RunInput }, async (run, input) => {
  let messages: Json[] = [{ role: 'user', content: input.question }];
  for (let turn = 1; turn <= MAX_TURNS; turn++) {
    const r = await run.step(`turn ${turn}`, (step) => agentTurn(step, input, messages));
    messages = r.messages;
    if (r.final) {
      const result: AgentResult = { question: input.question, answer: r.text, turns: turn, summary: r.summary, view: r.view, backend: backendLabel(input.backend), scripted: r.scripted };
      return result;
    }
    // Parked, durably, until a person approves or rejects the call from any tab.
    for (const a of pendingApprovals(messages)) {
      const decision = await run.waitForEvent<Json>(`approve ${a.toolName}`, approvalKey(run.runId, a.toolCallId));
      messages = withApprovalResponse(messages, a.approvalId, approvalDecision(decision));
    }
  }
  return run.fail(`the agent gave no final answer in ${MAX_TURNS} turns`);
});

async function agentTurn(step: Step, input: RunInput, history: Json[]): Promise<Turn> {
  const { model, secrets, scripted } = await agentModel(step, input.backend);
  const ai = await import('ai');
  const { streamText, stepCountIs } = ai;
  let failure: unknown;
  const result = streamText({
    model: durableModel(step, model, { secrets, progressIntervalMs: 60 }),
    tools: durableTools(step, noteTools(ai)),
    system: SYSTEM,
    messages: history as unknown as ModelMessage[],
    stopWhen: stepCountIs(1), // one model call per turn: the turn is the step
    maxRetries: 0, // the runtime retries, durably
    abortSignal: step.signal,
    onError: ({ error }) => void (failure = error),
  });
  // `responseMessages`, not `response.messages` (the model step's only): it also holds the
  // results of the tools approved in the previous turn, which this call ran before the model.
  // Without them the conversation would show an approved call with no result, and a later turn
  // would run the tool again.
  const [text, toolCalls, added] = await Promise.all([result.text, result.toolCalls, result.responseMessages]).catch((e: unknown) => Promise.reject(failure ?? e));
  if (failure) throw failure;
  // Plain JSON (the messages hold text and JSON tool values only): the step's recorded result.
  const messages = JSON.parse(JSON.stringify([...history, ...added])) as Json[];
  const view = viewOf(messages);
  const summary = savedSummary(messages);
  // Committed with this step's settlement: the page reads them while the run goes on or waits.
  step.effects.put(agentViewKey(step.runId), view);
  if (summary) step.effects.put(summaryKey(step.runId), summary);
  return { messages, text, final: toolCalls.length === 0, view, summary, scripted };
}
