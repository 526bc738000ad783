/**
 * A compiled LangGraph graph run by the Stepwise runtime through `graphWorkflow`, its
 * checkpoints in an IndexedDBSaver on the runtime's own database: crashes, interrupts, cancels.
 * A crash is a runtime stopped without draining and a new one opened on the same database.
 */
import { describe, expect, it } from 'vitest';
import { Annotation, END, MessagesAnnotation, START, StateGraph, interrupt } from '@langchain/langgraph';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { isWorkflowError } from '../../src/core/errors.ts';
import { IndexedDBSaver } from '../../src/langgraph/saver.ts';
import { graphWorkflow, interruptKey, pendingInterrupts } from '../../src/langgraph/graph-workflow.ts';
import type { LangGraphProgress } from '../../src/langgraph/progress.ts';
import { interruptWith } from '../../src/langgraph/interrupt.ts';
import { deferred, fresh, waitFor } from '../functions/support.ts';
import type { Fresh } from '../runtime/harness.ts';

const State = Annotation.Root({
  log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  answer: Annotation<string | null>({ reducer: (_, b) => b, default: () => null }),
});

/** Counts the executions of every node; `hold` makes a node's first execution wait forever (or for `signal`). */
function counter(): { runs: Record<string, number>; node: (name: string, hold?: boolean) => (s: typeof State.State, c?: { signal?: AbortSignal }) => Promise<Partial<typeof State.State>>; entered: Record<string, Promise<void>> } {
  const runs: Record<string, number> = {};
  const entries: Record<string, ReturnType<typeof deferred<void>>> = {};
  const entered: Record<string, Promise<void>> = {};
  return {
    runs,
    entered,
    node: (name, hold = false) => {
      entries[name] = deferred<void>();
      entered[name] = entries[name].promise;
      return async (_s, config) => {
        runs[name] = (runs[name] ?? 0) + 1;
        entries[name]!.resolve();
        if (hold && runs[name] === 1) {
          await new Promise((_, reject) => config?.signal?.addEventListener('abort', () => reject(config.signal!.reason)));
        }
        return { log: [name] };
      };
    },
  };
}

function saverFor(f: Fresh): IndexedDBSaver {
  return new IndexedDBSaver(f.db);
}

describe('graphWorkflow', () => {
  it('resumes from the last checkpoint after a crash in the middle of a node, and runs no completed node again', async () => {
    const c = counter();
    const graph = new StateGraph(State)
      .addNode('plan', c.node('plan'))
      .addNode('fast', c.node('fast'))
      .addNode('slow', c.node('slow', true))
      .addNode('write', c.node('write'))
      .addEdge(START, 'plan')
      .addEdge('plan', 'fast')
      .addEdge('plan', 'slow')
      .addEdge('fast', 'write')
      .addEdge('slow', 'write')
      .addEdge('write', END)
      .compile();
    const f = await fresh({ workflows: {}, start: false });
    const agent = graphWorkflow(graph, { checkpointer: saverFor(f) });
    const first = await f.reopen({ workflows: { agent } });
    await first.start();
    const { runId } = await first.submit({ workflow: 'agent', input: { log: [] } });
    await c.entered.slow;
    await waitFor(() => c.runs.fast === 1, 5000, 'fast finished');
    // `fast` finished in the super-step `slow` is still in: its writes are saved as it ends.
    await new Promise((r) => setTimeout(r, 20));
    await first.stop({ drain: false });
    const next = await f.reopen({ workflows: { agent } });
    await next.start();
    expect(await next.wait(runId)).toMatchObject({ status: 'succeeded', result: { log: ['plan', 'fast', 'slow', 'write'] } });
    expect(c.runs).toEqual({ plan: 1, fast: 1, slow: 2, write: 1 });
  });

  it('parks an interrupted run on its event key and resumes it with the answer sent', async () => {
    let asked = 0;
    const graph = new StateGraph(State)
      .addNode('ask', async () => {
        asked++;
        const answer = interrupt<{ question: string }, string>({ question: 'ship it?' });
        return { answer, log: ['ask'] };
      })
      .addNode('after', async () => ({ log: ['after'] }))
      .addEdge(START, 'ask')
      .addEdge('ask', 'after')
      .addEdge('after', END)
      .compile();
    const f = await fresh({ workflows: {}, start: false });
    const agent = graphWorkflow(graph, { checkpointer: saverFor(f) });
    const first = await f.reopen({ workflows: { agent } });
    const live: unknown[] = [];
    first.subscribe((e) => {
      if (e.type === 'progress') live.push(e.update);
    });
    await first.start();
    const { runId } = await first.submit({ workflow: 'agent', input: {} });
    await waitFor(async () => (await first.status(runId))?.state === 'waiting', 5000, 'waiting');
    expect((await first.status(runId))?.eventKey).toBe(interruptKey(runId));
    expect(live).toContainEqual({ type: 'interrupt', key: interruptKey(runId), value: { question: 'ship it?' } } satisfies LangGraphProgress);
    // What the node asked stays readable from the database by any tab, with a saver of its own.
    const page = new IndexedDBSaver(f.db);
    expect(await pendingInterrupts(page, runId)).toEqual([{ id: expect.any(String), value: { question: 'ship it?' } }]);
    // Every tab closed: the worker goes away while the run waits.
    await first.stop({ drain: true });
    const next = await f.reopen({ workflows: { agent } });
    await next.start();
    await next.sendEvent(interruptKey(runId), 'yes');
    expect(await next.wait(runId)).toMatchObject({ status: 'succeeded', result: { answer: 'yes', log: ['ask', 'after'] } });
    expect(await pendingInterrupts(page, runId)).toEqual([]);
    page.close();
    // The node runs again on resume (that is how `interrupt()` returns the answer), once.
    expect(asked).toBe(2);
  });

  it('aborts the node in flight when the run is cancelled', async () => {
    const aborted = deferred<unknown>();
    const c = counter();
    const graph = new StateGraph(State)
      .addNode('think', async (_s, config) => {
        await new Promise((_, reject) =>
          config.signal?.addEventListener('abort', () => {
            aborted.resolve(config.signal?.reason);
            reject(new Error('aborted'));
          }),
        );
        return {};
      })
      .addNode('after', c.node('after'))
      .addEdge(START, 'think')
      .addEdge('think', 'after')
      .addEdge('after', END)
      .compile();
    const f = await fresh({ workflows: {}, start: false });
    const agent = graphWorkflow(graph, { checkpointer: saverFor(f) });
    const rt = await f.reopen({ workflows: { agent } });
    await rt.start();
    const { runId } = await rt.submit({ workflow: 'agent', input: {} });
    await waitFor(async () => (await rt.status(runId))?.state === 'running', 5000, 'running');
    await new Promise((r) => setTimeout(r, 20));
    expect(await rt.cancel(runId)).toBe(true);
    await aborted.promise;
    expect(await rt.wait(runId)).toMatchObject({ status: 'cancelled' });
    expect(c.runs.after).toBeUndefined();
  });

  it('streams node names as progress, one super-step per step', async () => {
    const c = counter();
    const graph = new StateGraph(State).addNode('a', c.node('a')).addNode('b', c.node('b')).addEdge(START, 'a').addEdge('a', 'b').addEdge('b', END).compile();
    const f = await fresh({ workflows: {}, start: false });
    const agent = graphWorkflow(graph, { checkpointer: saverFor(f) });
    const rt = await f.reopen({ workflows: { agent } });
    const seen: unknown[] = [];
    rt.subscribe((e) => {
      if (e.type === 'progress') seen.push(e.update);
    });
    await rt.start();
    const { runId } = await rt.submit({ workflow: 'agent', input: {} });
    expect(await rt.wait(runId)).toMatchObject({ status: 'succeeded', result: { log: ['a', 'b'] } });
    expect(seen).toEqual(expect.arrayContaining([{ type: 'node', node: 'a' }, { type: 'node', node: 'b' }]));
    const history = await rt.history(runId);
    expect(history.length).toBeGreaterThanOrEqual(2);
  });

  it('shows the text a node\'s chat model streams as token progress', async () => {
    const model = new FakeListChatModel({ responses: ['hello there'] });
    const graph = new StateGraph(MessagesAnnotation)
      .addNode('talk', async (state, config) => ({ messages: [await model.invoke(state.messages, config)] }))
      .addEdge(START, 'talk')
      .addEdge('talk', END)
      .compile();
    const f = await fresh({ workflows: {}, start: false });
    const agent = graphWorkflow(graph, { checkpointer: saverFor(f) });
    const rt = await f.reopen({ workflows: { agent } });
    const seen: unknown[] = [];
    rt.subscribe((e) => {
      if (e.type === 'progress') seen.push(e.update);
    });
    await rt.start();
    const { runId } = await rt.submit({ workflow: 'agent', input: { messages: [{ role: 'user', content: 'hi' }] } });
    expect(await rt.wait(runId)).toMatchObject({ status: 'succeeded' });
    const tokens = seen.filter((p) => (p as LangGraphProgress).type === 'token');
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.at(-1)).toEqual({ type: 'token', node: 'talk', text: 'hello there' });
  });

  it('interrupts through the node\'s config where there is no async-local storage, as in a browser', async () => {
    const slot = Symbol.for('ls:tracing_async_local_storage');
    const slots = globalThis as unknown as Record<symbol, unknown>;
    const graph = new StateGraph(State)
      .addNode('ask', async (_s, config) => ({ answer: interruptWith<string>(config, { question: 'ok?' }) }))
      .addEdge(START, 'ask')
      .addEdge('ask', END)
      .compile();
    const f = await fresh({ workflows: {}, start: false });
    const agent = graphWorkflow(graph, { checkpointer: saverFor(f) });
    const rt = await f.reopen({ workflows: { agent } });
    const storage = slots[slot];
    delete slots[slot];
    try {
      await rt.start();
      const { runId } = await rt.submit({ workflow: 'agent', input: {} });
      await waitFor(async () => (await rt.status(runId))?.state === 'waiting', 5000, 'waiting');
      await rt.sendEvent(interruptKey(runId), 'fine');
      expect(await rt.wait(runId)).toMatchObject({ status: 'succeeded', result: { answer: 'fine' } });
    } finally {
      slots[slot] = storage;
    }
  });

  it('refuses a graph without a checkpointer, with a named error', () => {
    const graph = new StateGraph(State).addNode('a', async () => ({})).addEdge(START, 'a').compile();
    let caught: unknown;
    try {
      graphWorkflow(graph);
    } catch (e) {
      caught = e;
    }
    expect(isWorkflowError(caught, 'InvalidArgument')).toBe(true);
  });
});
