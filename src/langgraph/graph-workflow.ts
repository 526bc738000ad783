/**
 * `graphWorkflow(graph)`: a compiled LangGraph graph as a Stepwise workflow.
 *
 * The run is the thread (`thread_id` = run id) and every Stepwise step is one super-step of the
 * graph: the step resumes the thread from its latest checkpoint and stops after one super-step
 * (`interruptAfter: '*'` for that call), so the checkpoint written at the end of a super-step
 * is what the next step starts from. Within a super-step, LangGraph saves each finished node's
 * writes as they come; a step delivered again after a crash resumes the same checkpoint, and
 * LangGraph skips every task whose writes are saved. So no completed node runs again, and a
 * super-step's nodes that were in flight are the only ones that run twice.
 *
 * An `interrupt()` in a node parks the run on `Outcome.waitForEvent(interruptKey(runId))`;
 * `sendEvent` with that key resumes it: the next step sends `Command({ resume: payload })`.
 */
import { BaseCheckpointSaver, INTERRUPT } from '@langchain/langgraph-checkpoint';
import { Command } from '@langchain/langgraph';
import { invalidArgument } from '../core/errors.ts';
import type { Json } from '../core/json.ts';
import { Outcome, type StepOutcome } from '../core/outcome.ts';
import type { Step, StepRunner } from '../runtime/types.ts';
import { streamProgress, type LangGraphProgress } from './progress.ts';

/** The parts of a compiled graph (`CompiledStateGraph`, `Pregel`) this uses. */
export interface RunnableGraph {
  stream(input: unknown, options?: Record<string, unknown>): Promise<AsyncIterable<unknown>>;
  getState(config: { configurable: Record<string, unknown> }): Promise<{
    values: unknown;
    next: readonly string[];
    tasks: readonly { interrupts?: readonly { id?: string; value?: unknown }[] }[];
  }>;
  checkpointer?: unknown;
  interruptBefore?: unknown;
  interruptAfter?: unknown;
}

export interface GraphWorkflowOptions {
  /**
   * The saver of the run's checkpoints: an `IndexedDBSaver` on the database the workflow is
   * served from. @default the graph's own checkpointer (compile it with one)
   */
  checkpointer?: BaseCheckpointSaver;
  /**
   * The event key an interrupted run waits on. @default `interruptKey(runId)`, i.e.
   * `langgraph:interrupt:<runId>`
   */
  eventKey?: (runId: string) => string;
  /** The run's result, from the graph's final state. @default the state as JSON (`JSON.stringify`) */
  result?: (values: unknown) => Json;
  /**
   * Super-steps in a row without input (from the start, or since the last resume) before the
   * run fails, as LangGraph's `recursionLimit` does for one invocation. @default 25
   */
  recursionLimit?: number;
}

/** The key a run of `graphWorkflow` waits on while a node's `interrupt()` is pending. */
export function interruptKey(runId: string): string {
  return `langgraph:interrupt:${runId}`;
}

/**
 * The `interrupt()` calls a run (its thread) waits on, read from the saver: what each node
 * asked (`value`) and its interrupt id. Works wherever a saver on the database does (a page, to
 * show the question after a reload). Empty when the run is not interrupted.
 */
export async function pendingInterrupts(saver: BaseCheckpointSaver, runId: string): Promise<{ id: string; value: unknown }[]> {
  const tuple = await saver.getTuple({ configurable: { thread_id: runId } });
  const out: { id: string; value: unknown }[] = [];
  for (const [, channel, value] of tuple?.pendingWrites ?? []) {
    if (channel !== INTERRUPT) continue;
    for (const i of Array.isArray(value) ? value : [value]) out.push({ id: String((i as { id?: unknown })?.id ?? ''), value: (i as { value?: unknown })?.value });
  }
  return out;
}

/** What a step hands to the next one. */
interface Carry {
  superSteps: number;
}

/** The config key LangGraph reads a lent checkpointer from (how a parent lends its own to a subgraph). */
const LENT_CHECKPOINTER = '__pregel_checkpointer';

/**
 * A compiled graph as a durable workflow: `serve({ workflows: { agent: graphWorkflow(graph) } })`.
 * The run's input is the graph's input; the run succeeds with the final state (see `result`).
 * Progress is `LangGraphProgress`: finished nodes, the text a node's model streams, interrupts.
 * @throws WorkflowError `InvalidArgument` when there is no checkpointer, or when the graph was
 *   compiled with `interruptBefore`/`interruptAfter` (breakpoints: use `interrupt()` instead)
 */
export function graphWorkflow(graph: RunnableGraph, options: GraphWorkflowOptions = {}): StepRunner {
  const saver = options.checkpointer ?? (graph.checkpointer instanceof BaseCheckpointSaver ? graph.checkpointer : undefined);
  if (!(saver instanceof BaseCheckpointSaver)) {
    throw invalidArgument('graphWorkflow checkpointer', 'is required: compile the graph with `checkpointer: new IndexedDBSaver({ name })` or pass `options.checkpointer`');
  }
  for (const breakpoints of [graph.interruptBefore, graph.interruptAfter]) {
    if (breakpoints !== undefined && !(Array.isArray(breakpoints) && breakpoints.length === 0)) {
      throw invalidArgument('graphWorkflow graph', 'was compiled with interruptBefore/interruptAfter: a durable run pauses through `interrupt()` in a node instead');
    }
  }
  const recursionLimit = options.recursionLimit ?? 25;
  if (!Number.isInteger(recursionLimit) || recursionLimit < 1) throw invalidArgument('graphWorkflow recursionLimit', 'must be an integer of at least 1', recursionLimit);
  const keyOf = options.eventKey ?? interruptKey;
  const result = options.result ?? ((values: unknown) => (values === undefined ? null : (JSON.parse(JSON.stringify(values)) as Json)));

  return async (step: Step): Promise<StepOutcome> => {
    const configurable = { thread_id: step.runId, [LENT_CHECKPOINTER]: saver };
    const thread = { configurable: { thread_id: step.runId } };
    // The first delivery of a run's first step: a thread left by an earlier run with this id
    // (a reused run id) is not this run's history.
    if (step.stepNumber === 0 && step.attempts === 1) await saver.deleteThread(step.runId);
    const started = (await saver.getTuple(thread)) !== undefined;
    let input: unknown;
    let carry: Carry = { superSteps: 0 };
    if (step.event) {
      // Sent again only while the interrupt is still pending: a redelivery whose resume was
      // already taken up must not hand the answer to a later interrupt.
      const pending = interruptsOf(await graph.getState({ configurable }));
      input = pending.length > 0 ? new Command({ resume: step.event.payload }) : null;
    } else if (step.stepNumber === 0) {
      input = started ? null : step.payload;
    } else {
      if (!started) return Outcome.fail(`the checkpoints of thread ${step.runId} are gone: the run cannot resume`);
      input = null;
      carry = readCarry(step.payload);
    }
    if (carry.superSteps >= recursionLimit) {
      return Outcome.fail(`recursion limit of ${recursionLimit} super-steps reached without an interrupt or an end (graphWorkflow recursionLimit)`);
    }
    const stream = await graph.stream(input, {
      configurable,
      signal: step.signal,
      streamMode: ['updates', 'messages'],
      interruptAfter: '*',
      durability: 'async',
    });
    await streamProgress(stream, (p: LangGraphProgress) => step.progress(p as unknown as Json));
    const state = await graph.getState({ configurable });
    const interrupts = interruptsOf(state);
    if (interrupts.length > 0) {
      const key = keyOf(step.runId);
      const value = toJson(interrupts.length === 1 ? interrupts[0]!.value : interrupts.map((i) => i.value));
      step.progress({ type: 'interrupt', key, value } satisfies LangGraphProgress as unknown as Json);
      return Outcome.waitForEvent(key, { superSteps: 0, interrupt: value });
    }
    if (state.next.length === 0) return Outcome.succeed(result(state.values));
    return Outcome.next({ superSteps: carry.superSteps + 1 });
  };
}

function interruptsOf(state: Awaited<ReturnType<RunnableGraph['getState']>>): { id?: string; value?: unknown }[] {
  return state.tasks.flatMap((t) => [...(t.interrupts ?? [])]);
}

function readCarry(payload: Json): Carry {
  const n = (payload as { superSteps?: unknown } | null)?.superSteps;
  return { superSteps: typeof n === 'number' ? n : 0 };
}

function toJson(value: unknown): Json {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as Json);
}
