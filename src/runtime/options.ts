/** Runtime configuration: defaults and validation, done once at `Runtime.open`. */
import type { Clock } from '../core/clock.ts';
import { checkInt, checkMs } from '../core/check.ts';
import { invalidArgument } from '../core/errors.ts';
import { idProblem } from '../core/ids.ts';
import { retryPolicy, type RetryPolicy } from '../core/retry.ts';
import type { Durability } from '../store/tx.ts';
import type { StepRunner, TerminalHook } from './types.ts';
import type { AnyWorkflow } from '../functions/definition.ts';
import { FunctionHost, bindWorkflows, isWorkflowEntry } from '../functions/runner.ts';
import { resolveHandoffOptions, type HandoffOptions, type ResolvedHandoffOptions } from './handoff-records.ts';

export interface RuntimeOptions {
  /** IndexedDB database name. @default 'stepwise' */
  name?: string;
  /** Workflow name -> a `StepRunner` or a `workflow()` durable function. */
  workflows: Record<string, StepRunner | AnyWorkflow>;
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
  /** @default the system clock */
  clock?: Clock;
  /** Most steps running at once in this instance. @default 16 */
  concurrency?: number;
  /** Per-step retries. @default { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 300000, jitter: 0.2 } */
  retry?: Partial<RetryPolicy>;
  /** Time lease of a delivery where no liveness signal exists. @default 30000 */
  leaseMs?: number;
  /** Keep memo entries this long after a run ends (enables terminal markers and the sweeper). */
  memoRetentionMs?: number;
  /** Keep finished runs' status this long. @default 7 days */
  keepDoneRunsMs?: number;
  /**
   * Keep an event payload buffered (sent while no run waited on its key) this long after it
   * was sent; then the retention sweep discards it (a waiter registered on the key stays).
   * A finite number of ms >= 0, else `InvalidArgument`. @default 7 days
   */
  eventRetentionMs?: number;
  /** Keep dead jobs this long. @default 7 days */
  deadRetentionMs?: number;
  /** Record each step's outcome so a redelivery replays it instead of running again. @default false */
  stepOutputReplay?: boolean;
  hooks?: TerminalHook[];
  /** Largest input/payload/result/KV value, as UTF-8 JSON. @default 1 MiB */
  maxPayloadBytes?: number;
  /** The queue of step and notification jobs. @default 'workflow-steps' */
  queueName?: string;
  /**
   * Identity recorded on this instance's claims (the host passes its instance id). When an
   * instance starts executing, every claim of another owner is taken as abandoned.
   */
  owner?: string;
  /** How often an idle executor looks for work it was not told about. @default 1000 */
  pollIntervalMs?: number;
  /** How often expired time leases are reaped. @default 5000 */
  reapIntervalMs?: number;
  /** Durability of ordinary writes (submissions, events, cancels, terminal settlements are strict). @default 'relaxed' */
  durability?: Durability;
  /** How runs handed off to a server are followed (`handoff`). */
  handoff?: HandoffOptions;
}

export interface ResolvedOptions {
  name: string;
  workflows: Record<string, StepRunner>;
  concurrency: number;
  retry: RetryPolicy;
  leaseMs: number;
  memoRetentionMs: number | undefined;
  keepDoneRunsMs: number;
  eventRetentionMs: number;
  deadRetentionMs: number;
  stepOutputReplay: boolean;
  hooks: TerminalHook[];
  maxPayloadBytes: number;
  queueName: string;
  pollIntervalMs: number;
  reapIntervalMs: number;
  handoff: ResolvedHandoffOptions;
}

const DAY = 24 * 3600 * 1000;

/** @throws WorkflowError `InvalidArgument` naming the bad option */
export function resolveOptions(o: RuntimeOptions, functions = new FunctionHost()): ResolvedOptions {
  if (typeof o !== 'object' || o === null) throw invalidArgument('options', 'must be an object', o);
  if (typeof o.workflows !== 'object' || o.workflows === null) throw invalidArgument('workflows', 'must be an object of name -> runner', o.workflows);
  for (const [name, runner] of Object.entries(o.workflows)) {
    if (name.length === 0 || name.length > 128) throw invalidArgument(`workflow name ${JSON.stringify(name)}`, 'must be 1 to 128 characters');
    if (!isWorkflowEntry(runner)) throw invalidArgument(`workflows.${name}`, 'must be a function (step) => Promise<StepOutcome> or a workflow() definition', runner);
  }
  const positiveInt = (v: unknown, what: string, d: number): number => {
    if (v === undefined) return d;
    checkInt(v, what, 1);
    return v;
  };
  const ms = (v: unknown, what: string, d: number, min = 0): number => {
    if (v === undefined) return d;
    checkMs(v, what, min);
    return v;
  };
  if (o.memoRetentionMs !== undefined) ms(o.memoRetentionMs, 'memoRetentionMs', 0, 1);
  const hooks = o.hooks ?? [];
  if (!Array.isArray(hooks)) throw invalidArgument('hooks', 'must be an array', hooks);
  const names = new Set<string>();
  for (const h of hooks) {
    if (typeof h !== 'object' || h === null || typeof h.onTerminal !== 'function') throw invalidArgument('hook', 'must have onTerminal(outcome, effects)', h);
    if (typeof h.name !== 'string' || idProblem(h.name)) throw invalidArgument('hook.name', 'must be 1–128 of [A-Za-z0-9_-]', h.name);
    if (names.has(h.name)) throw invalidArgument('hook.name', 'must be unique', h.name);
    names.add(h.name);
  }
  const queueName = o.queueName ?? 'workflow-steps';
  if (typeof queueName !== 'string' || queueName.length === 0 || queueName.length > 255) throw invalidArgument('queueName', 'must be 1 to 255 characters', queueName);
  return {
    name: o.name ?? 'stepwise',
    workflows: bindWorkflows(o.workflows, functions),
    concurrency: positiveInt(o.concurrency, 'concurrency', 16),
    retry: retryPolicy(o.retry),
    leaseMs: ms(o.leaseMs, 'leaseMs', 30_000, 1),
    memoRetentionMs: o.memoRetentionMs,
    keepDoneRunsMs: ms(o.keepDoneRunsMs, 'keepDoneRunsMs', 7 * DAY),
    eventRetentionMs: ms(o.eventRetentionMs, 'eventRetentionMs', 7 * DAY),
    deadRetentionMs: ms(o.deadRetentionMs, 'deadRetentionMs', 7 * DAY),
    stepOutputReplay: o.stepOutputReplay ?? false,
    hooks,
    maxPayloadBytes: positiveInt(o.maxPayloadBytes, 'maxPayloadBytes', 1024 * 1024),
    queueName,
    pollIntervalMs: ms(o.pollIntervalMs, 'pollIntervalMs', 1000, 1),
    reapIntervalMs: ms(o.reapIntervalMs, 'reapIntervalMs', 5000, 1),
    handoff: resolveHandoffOptions(o.handoff),
  };
}
