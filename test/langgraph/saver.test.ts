/**
 * IndexedDBSaver beyond LangGraph's conformance suite: several savers on one Stepwise database,
 * forks of a thread, and bad input.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import { isWorkflowError } from '../../src/core/errors.ts';
import { IndexedDBSaver } from '../../src/langgraph/saver.ts';
import { Store } from '../../src/store/store.ts';
import { dropSaver, freshSaver, type FreshSaver } from './support.ts';

const opened: FreshSaver[] = [];
afterEach(async () => {
  for (const f of opened.splice(0)) await dropSaver(f);
});

async function fresh(): Promise<FreshSaver> {
  const f = await freshSaver();
  opened.push(f);
  return f;
}

function checkpoint(values: Record<string, unknown>, versions: Record<string, number>): Checkpoint {
  return { ...emptyCheckpoint(), id: uuid6(-3), channel_values: values, channel_versions: versions };
}

const meta = { source: 'loop' as const, step: 0, parents: {} };

describe('IndexedDBSaver', () => {
  it('keeps the threads of two savers on one database apart, beside a runtime store on it', async () => {
    const f = await fresh();
    const store = await Store.open(f.db);
    const other = new IndexedDBSaver(f.db);
    await f.saver.put({ configurable: { thread_id: 'a' } }, checkpoint({ x: 1 }, { x: 1 }), meta, { x: 1 });
    await other.put({ configurable: { thread_id: 'b' } }, checkpoint({ x: 2 }, { x: 1 }), meta, { x: 1 });
    expect((await f.saver.getTuple({ configurable: { thread_id: 'a' } }))?.checkpoint.channel_values).toEqual({ x: 1 });
    expect((await other.getTuple({ configurable: { thread_id: 'b' } }))?.checkpoint.channel_values).toEqual({ x: 2 });
    await other.deleteThread('b');
    expect(await other.getTuple({ configurable: { thread_id: 'b' } })).toBeUndefined();
    expect(await other.getTuple({ configurable: { thread_id: 'a' } })).toBeDefined();
    // The savers opened the database at the runtime's own schema version: its connection is still open.
    expect(store.isClosed).toBe(false);
    other.close();
    store.close();
  });

  it('keeps a fork from an older checkpoint from changing the values of the branch it left', async () => {
    const { saver } = await fresh();
    const root = await saver.put({ configurable: { thread_id: 't' } }, checkpoint({ foo: 'root', bar: 'kept' }, { foo: 1, bar: 1 }), meta, { foo: 1, bar: 1 });
    const first = await saver.put(root, checkpoint({ foo: 'first', bar: 'kept' }, { foo: 2, bar: 1 }), meta, { foo: 2 });
    // Time travel: a second child of the root reaches the same channel version.
    const fork = await saver.put(root, checkpoint({ foo: 'fork', bar: 'kept' }, { foo: 2, bar: 1 }), meta, { foo: 2 });
    expect((await saver.getTuple(first))?.checkpoint.channel_values).toEqual({ foo: 'first', bar: 'kept' });
    expect((await saver.getTuple(fork))?.checkpoint.channel_values).toEqual({ foo: 'fork', bar: 'kept' });
  });

  it('refuses a checkpoint without a thread id with a named error, and writes nothing', async () => {
    const { saver } = await fresh();
    const error = await saver.put({ configurable: {} }, checkpoint({}, {}), meta, {}).catch((e: unknown) => e);
    expect(isWorkflowError(error, 'InvalidArgument')).toBe(true);
    const all = [];
    for await (const t of saver.list({})) all.push(t);
    expect(all).toEqual([]);
  });

  it('fails every call after close with StoreClosed', async () => {
    const { saver } = await fresh();
    saver.close();
    const error = await saver.getTuple({ configurable: { thread_id: 'x' } }).catch((e: unknown) => e);
    expect(isWorkflowError(error, 'StoreClosed')).toBe(true);
  });
});
