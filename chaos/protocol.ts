/**
 * What the chaos workload's three parties exchange: the Node driver, the page (chaos/page.ts)
 * and the worker (chaos/worker.ts), and the ledger server they report to (chaos/ledger.ts).
 * Plain data only: it crosses page.evaluate, the worker boundary and HTTP.
 */

/** The workflow every chaos run executes (the deploy phase adds the two below, same steps). */
export const WORKFLOW = 'chain';

/** Deploy phase: the workflow only the new build (build 2) registers. */
export const NEW_WORKFLOW = 'chainNew';

/** Deploy phase: the workflow only the old build (build 1) registers (the new build removed it). */
export const OLD_WORKFLOW = 'chainOld';

export type ChaosWorkflow = typeof WORKFLOW | typeof NEW_WORKFLOW | typeof OLD_WORKFLOW;

/** The workflows a worker of `build` registers (no build: the one-build phases). */
export function workflowsOf(build: string | null | undefined): ChaosWorkflow[] {
  if (build === '1') return [WORKFLOW, OLD_WORKFLOW];
  if (build === '2') return [WORKFLOW, NEW_WORKFLOW];
  return [WORKFLOW];
}

/** The one memo key each step writes after its side effect (stored as `k:effect`). */
export const MEMO_KEY = 'effect';

/** Name of the terminal hook that reports to the ledger. */
export const HOOK_NAME = 'ledger';

/**
 * A step's payload. Step 0 receives the run's input (`chain: []`); step n continues with
 * `chain: [0, …, n]`, so step n must see exactly `[0, …, n - 1]`.
 */
export type ChainPayload = {
  /** Per-run random value fixed at submission: a payload from another run would not carry it. */
  nonce: string;
  steps: number;
  chain: number[];
};

/** The last step's result. */
export type ChainResult = {
  nonce: string;
  chain: number[];
};

/** POST /effect: one execution of a step's memo-guarded side effect. */
export interface EffectBody {
  runId: string;
  step: number;
  /** `step.attempts` of the delivery that performed the effect. */
  attempt: number;
  /** The memo key guarding it (one effect per key is the goal). */
  key: string;
  jobId: string;
  nonce: string;
  /** The chain the step received. */
  chain: number[];
  /** The worker instance that ran the delivery. */
  instance: string;
  /** The build of that worker (deploy phase only). */
  build?: string;
}

/** What the ledger stored: the body plus its arrival order and time (Node clock). */
export interface EffectRecord extends EffectBody {
  seq: number;
  at: number;
}

/** The memo value a step writes once the ledger acknowledged its effect. */
export type EffectMemo = {
  /** The ledger's `seq` of the acknowledged effect. */
  seq: number;
  attempt: number;
};

/** POST /terminal: one delivery of the terminal hook. */
export interface TerminalBody {
  runId: string;
  status: string;
  finalStep: number;
  result: unknown;
  terminalAt: number;
  instance: string;
}

export interface TerminalRecord extends TerminalBody {
  seq: number;
  at: number;
}

/**
 * POST /hook: one moment of one call of the terminal hook, stamped with the worker's clock.
 * A call reports `start`, a `beat` every so often while it works, and `end` when it returns or
 * throws (`abort` when its signal was aborted: the delivery lost its claim). A call whose
 * worker died stops reporting: its last record bounds when it ran.
 */
export interface HookBody {
  runId: string;
  /** Identifies the call: the worker instance and its own counter. */
  call: string;
  event: 'start' | 'beat' | 'end' | 'abort';
  /** The worker's `Date.now()` at that moment (every worker of the test shares the machine's clock). */
  t: number;
  instance: string;
  build?: string;
}

export interface HookRecord extends HookBody {
  seq: number;
  at: number;
}

/** POST /violation: a step saw something it must never see (a broken payload chain). */
export interface ViolationBody {
  runId: string;
  step: number;
  attempt: number;
  what: string;
}

/** POST /instance: a worker instance started (best effort: it may die before it reports). */
export interface InstanceBody {
  instance: string;
  mode: 'shared' | 'dedicated';
  db: string;
  build?: string;
  tab: string | null;
}

/** Messages on the simulated-network BroadcastChannel `chaos-network:<db>`. */
export type NetworkMessage = { online: boolean } | { ack: boolean; instance: string } | { query: true };

export function networkChannelName(db: string): string {
  return `chaos-network:${db}`;
}

/** Held by a per-tab (fallback) worker once it executes: tells the driver which tab to kill. */
export function executorTabLockPrefix(db: string): string {
  return `chaos:${db}:executor-tab:`;
}

/** `[0, 1, …, n - 1]`. */
export function chainUpTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export function sameChain(a: unknown, n: number): boolean {
  return Array.isArray(a) && a.length === n && a.every((v, i) => v === i);
}
