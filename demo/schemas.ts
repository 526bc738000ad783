/**
 * The shapes of the demo's run data, as schemas: the run input, the approval event, the live
 * progress updates and the report a run ends with. Each type below is inferred from its schema,
 * so the worker and the page agree on one definition, and data that crossed a structured clone
 * (a run's result, a progress update, an event payload) is parsed rather than assumed:
 *
 * - the worker gives `RunInput` to `workflow({ input })`, so `submit` rejects a bad input
 *   (`InvalidInput`) before anything is stored;
 * - the run parses the approval it receives, and fails cleanly on a malformed one;
 * - the page parses results and progress updates before it renders them.
 *
 * The schemas use zod/mini, which keeps the page's share of zod small. The types are object
 * type aliases without `undefined` values, so they are JSON by construction: `submit`,
 * `sendEvent` and `run.step` take them as they are.
 */
import * as z from 'zod/mini';

/** The workflow's steps, in order: step n of a run is the n-th durable call of the function. */
export const StepName = z.enum(['plan', 'retrieve', 'draft', 'approve', 'finalize']);
export type StepName = z.infer<typeof StepName>;
export const STEPS = StepName.options;

/** Where the model calls go. The API key is never here: it stays in page and worker memory. */
export const Backend = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local') }),
  z.object({ kind: z.literal('api'), baseURL: z.url({ protocol: /^https?$/ }), model: z.string().check(z.minLength(1)), needsKey: z.boolean() }),
]);
export type Backend = z.infer<typeof Backend>;
export type ApiBackend = Extract<Backend, { kind: 'api' }>;

/** What `submit` takes, checked by the worker before the run is stored. */
export const RunInput = z.object({
  question: z.string().check(z.trim(), z.minLength(1, 'the question is empty'), z.maxLength(2000, 'the question is longer than 2000 characters')),
  backend: Backend,
});
export type RunInput = z.infer<typeof RunInput>;

/** The payload of `sendEvent(approvalKey(runId), …)`: the draft as the person approved it. */
export const Approval = z.object({ decision: z.literal('approve'), text: z.string() });
export type Approval = z.infer<typeof Approval>;

/** One step's model calls: `paid` ran a model (or an HTTP request) now, `replayed` came from the memo. */
export const LedgerEntry = z.object({ step: StepName, attempt: z.number(), paid: z.number(), replayed: z.number() });
export type LedgerEntry = z.infer<typeof LedgerEntry>;

export const Plan = z.object({
  subQueries: z.array(z.string()),
  /** What the model said while planning (the tiny model's text is filler, and the UI says so). */
  modelText: z.string(),
  planner: z.enum(['rules + tiny model', 'LLM']),
});
export type Plan = z.infer<typeof Plan>;

export const Source = z.object({ id: z.string(), title: z.string(), score: z.number(), excerpt: z.string() });
export type Source = z.infer<typeof Source>;

/** A finished run's result. */
export const Report = z.object({
  question: z.string(),
  answer: z.string(),
  edited: z.boolean(),
  plan: Plan,
  /** What the embedding model was asked for each sub-query (see library/search.ts). */
  searchTerms: z.array(z.string()),
  sources: z.array(Source),
  ledger: z.array(LedgerEntry),
  backend: z.string(),
});
export type Report = z.infer<typeof Report>;

/**
 * Live progress of a step (`step.progress`). The runners send `{ kind: 'tokens', text, … }` while
 * a model answers; the draft step adds which section it is writing; retrieve counts embeddings.
 */
export const Progress = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('tokens'),
    text: z.string(),
    tokens: z.optional(z.number()),
    done: z.optional(z.boolean()),
    section: z.optional(z.number()),
    sections: z.optional(z.number()),
  }),
  z.object({ kind: z.literal('embedding'), done: z.number(), total: z.number(), replayed: z.number() }),
]);
export type Progress = z.infer<typeof Progress>;

/** A progress update as the page can show it, or undefined for anything else (an older worker's). */
export function parseProgress(value: unknown): Progress | undefined {
  const parsed = Progress.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** A run's result as a report, or undefined when it is not one. */
export function parseReport(value: unknown): Report | undefined {
  const parsed = Report.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

// ---- the agent with tools (agent/notes-agent.ts) ----

/** One line of an agent run's transcript: what the model said in a turn, or a tool call and what became of it. */
export const TranscriptEntry = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), turn: z.number(), text: z.string() }),
  z.object({
    kind: z.literal('call'),
    turn: z.number(),
    id: z.string(),
    name: z.string(),
    input: z.string(),
    /** `done` with `output`; `awaiting` approval; `rejected` (with the reason in `output`); `error`. */
    state: z.enum(['running', 'awaiting', 'done', 'rejected', 'error']),
    output: z.optional(z.string()),
  }),
]);
export type TranscriptEntry = z.infer<typeof TranscriptEntry>;

/**
 * What a page shows of an agent run between its steps: the transcript, and the name of each
 * durable step so far (`turn 1`, `approve saveSummary`, …), in the order the run made them.
 */
export const AgentView = z.object({ steps: z.array(z.string()), transcript: z.array(TranscriptEntry) });
export type AgentView = z.infer<typeof AgentView>;

export const SavedSummary = z.object({ title: z.string(), text: z.string() });
export type SavedSummary = z.infer<typeof SavedSummary>;

/** An agent run's result. */
export const AgentResult = z.object({
  question: z.string(),
  answer: z.string(),
  turns: z.number(),
  /** The summary `saveSummary` saved (approved), or null (rejected, or never asked). */
  summary: z.nullable(SavedSummary),
  view: AgentView,
  backend: z.string(),
  scripted: z.boolean(),
});
export type AgentResult = z.infer<typeof AgentResult>;

/** A model turn's live progress: the AI SDK stream's text and tool calls so far (`TokenProgress`). */
export const AgentProgress = z.object({
  kind: z.literal('tokens'),
  text: z.string(),
  toolCalls: z.optional(z.array(z.object({ id: z.string(), name: z.string(), input: z.string() }))),
  done: z.optional(z.boolean()),
});
export type AgentProgress = z.infer<typeof AgentProgress>;

export function parseAgentView(value: unknown): AgentView | undefined {
  const parsed = AgentView.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export function parseAgentResult(value: unknown): AgentResult | undefined {
  const parsed = AgentResult.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export function parseAgentProgress(value: unknown): AgentProgress | undefined {
  const parsed = AgentProgress.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
