/**
 * What the demo's page and worker agree on: names, the run input and result shapes, the live
 * progress updates the steps send, and the control channel (network switch, fault injection,
 * API keys). Plain data only: all of it crosses a structured clone.
 */
import type { Json } from '../src/client.ts';

/** The IndexedDB database (and SharedWorker name) of the demo. */
export const DB_NAME = 'stepwise-demo';
export const WORKFLOW = 'research';
/** Page <-> worker control messages (not run data: that goes through Stepwise). */
export const CONTROL_CHANNEL = 'stepwise-demo:control';

/** The workflow's steps, by step number. */
export const STEPS = ['plan', 'retrieve', 'draft', 'approve', 'finalize'] as const;
export type StepName = (typeof STEPS)[number];

/** App-KV key of a run's draft: written with the draft step's settlement, read while it waits for approval. */
export const draftKey = (runId: string): string => `drafts/${runId}`;

/** The event a run waits for at its approve step. */
export const approvalKey = (runId: string): string => `approve:${runId}`;

/** Where the model calls go. The API key is never here: it stays in page and worker memory. */
export type Backend = { kind: 'local' } | { kind: 'api'; baseURL: string; model: string; needsKey: boolean };

export interface RunInput {
  question: string;
  backend: Backend;
}

/** One step's model calls: `paid` ran a model (or an HTTP request) now, `replayed` came from the memo. */
export interface LedgerEntry {
  step: StepName;
  attempt: number;
  paid: number;
  replayed: number;
}

export interface Plan {
  subQueries: string[];
  /** What the model said while planning (the tiny model's text is filler, and says so in the UI). */
  modelText: string;
  planner: 'rules + tiny model' | 'LLM';
}

export interface Source {
  id: string;
  title: string;
  score: number;
  excerpt: string;
}

/** The payload handed from step to step: the input plus what each step added. */
export interface Carry extends RunInput {
  plan?: Plan;
  /** What the embedding model was asked for each sub-query (see library/search.ts). */
  searchTerms?: string[];
  sources?: Source[];
  draft?: string;
  ledger: LedgerEntry[];
}

/** The payload of `sendEvent(approvalKey(runId), …)`. */
export interface Approval {
  decision: 'approve';
  text: string;
}

/** A finished run's result. */
export interface Report {
  question: string;
  answer: string;
  edited: boolean;
  plan: Plan;
  searchTerms: string[];
  sources: Source[];
  ledger: LedgerEntry[];
  backend: string;
}

/** Live progress a step sends (`step.progress`); the runners' token updates have kind 'tokens'. */
export type Progress =
  | { kind: 'tokens'; text: string; tokens?: number; done?: boolean; section?: number; sections?: number }
  | { kind: 'embedding'; done: number; total: number; replayed: number };

/** Messages on CONTROL_CHANNEL. Keys travel page -> worker only, and only live in memory. */
export type ControlMessage =
  | { kind: 'hello' }
  | { kind: 'setNetwork'; online: boolean }
  | { kind: 'setFault'; fault: Fault }
  | { kind: 'key'; baseURL: string; apiKey: string }
  | { kind: 'getDraft'; runId: string }
  | { kind: 'draft'; runId: string; text: string | null }
  | { kind: 'state'; state: WorkerState };

/** Fault injection: 'once' fails the next step attempt after its model calls; 'always' fails every one. */
export type Fault = 'off' | 'once' | 'always';

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

/** Structured data as `Json` (the demo's shapes are JSON by construction). */
export function asJson(value: unknown): Json {
  return value as Json;
}

/** Run headers carry what the UI lists without reading the input: the question and the backend. */
export function runHeaders(input: RunInput): Record<string, string> {
  return { question: input.question.slice(0, 300), backend: JSON.stringify(input.backend) };
}

export function backendOf(headers: Record<string, string>): Backend {
  try {
    const b = JSON.parse(headers['backend'] ?? '') as Backend;
    if (b.kind === 'api' || b.kind === 'local') return b;
  } catch {
    // an older or foreign run
  }
  return { kind: 'local' };
}

export function backendLabel(b: Backend): string {
  return b.kind === 'local' ? 'built-in tiny models' : `${b.model} at ${new URL(b.baseURL).host}`;
}
