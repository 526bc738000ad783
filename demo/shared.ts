/**
 * What the demo's page and worker agree on besides the run data (schemas.ts): names, keys, the
 * run headers, and the control channel (network switch, fault injection, API keys, drafts).
 * Plain data only: all of it crosses a structured clone.
 */
import type { Json } from 'stepwise/client';
import { Backend, type RunInput } from './schemas.ts';

/** The IndexedDB database (and SharedWorker name) of the demo. */
export const DB_NAME = 'stepwise-demo';
export const WORKFLOW = 'research';
/** The "agent with tools" mode: an AI SDK tool loop over the notes (agent/notes-agent.ts). */
export const AGENT_WORKFLOW = 'notesAgent';
/** Page <-> worker control messages (not run data: that goes through Stepwise). */
export const CONTROL_CHANNEL = 'stepwise-demo:control';

/** App-KV key of a run's draft: written with the draft step's settlement, read while it waits for approval. */
export const draftKey = (runId: string): string => `drafts/${runId}`;

/** App-KV key of an agent run's view (transcript and step names): written with each turn's settlement. */
export const agentViewKey = (runId: string): string => `agent/${runId}`;

/** App-KV key of the summary an agent run saved (its `saveSummary` tool, once approved). */
export const summaryKey = (runId: string): string => `summaries/${runId}`;

/** The event a run waits for at its approve step. */
export const approvalKey = (runId: string): string => `approve:${runId}`;

/** Messages on CONTROL_CHANNEL. Keys travel page -> worker only, and only live in memory. */
export type ControlMessage =
  | { kind: 'hello' }
  | { kind: 'setNetwork'; online: boolean }
  | { kind: 'setFault'; fault: Fault }
  | { kind: 'key'; baseURL: string; apiKey: string }
  | { kind: 'getDraft'; runId: string }
  | { kind: 'draft'; runId: string; text: string | null }
  | { kind: 'getAgentView'; runId: string }
  | { kind: 'agentView'; runId: string; view: Json | null }
  | { kind: 'state'; state: WorkerState };

/** Fault injection: 'once' fails the next model call's step attempt; 'always' fails every one. */
export type Fault = 'off' | 'once' | 'always';
const FAULTS: readonly Fault[] = ['off', 'once', 'always'];

export function isFault(value: unknown): value is Fault {
  return FAULTS.some((f) => f === value);
}

export interface WorkerState {
  instanceId: string;
  startedAt: number;
  /** The simulated network switch (the worker's `navigator.onLine` cannot be set from outside). */
  online: boolean;
  fault: Fault;
  /** Base URLs the worker holds a key for (never the keys). */
  keysFor: string[];
  /** Base URLs whose key a step is waiting for (after a restart the worker has none). */
  keysWanted: string[];
}

/** Run headers carry what the UI lists without reading the input: the question and the backend. */
export function runHeaders(input: RunInput): Record<string, string> {
  return { question: input.question.slice(0, 300), backend: JSON.stringify(input.backend) };
}

/** The backend a run was started with, from its headers (the built-in models for an older or foreign run). */
export function backendOf(headers: Record<string, string>): Backend {
  try {
    const parsed = Backend.safeParse(JSON.parse(headers['backend'] ?? ''));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: an older or foreign run
  }
  return { kind: 'local' };
}

export function backendLabel(b: Backend): string {
  return b.kind === 'local' ? 'built-in tiny models' : `${b.model} at ${new URL(b.baseURL).host}`;
}
