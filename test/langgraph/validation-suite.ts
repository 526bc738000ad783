/**
 * LangGraph's own conformance suite for checkpoint savers, run in full against IndexedDBSaver.
 * The suite calls `describe`/`it`/`expect` as globals: globals.ts installs Vitest's first.
 * Each checkpointer gets a database of its own, as the suite requires of shared storage.
 */
import './globals.ts';
import { validate } from '@langchain/langgraph-checkpoint-validation';
import type { IndexedDBSaver } from '../../src/langgraph/saver.ts';
import { dropSaver, freshSaver, type FreshSaver } from './support.ts';

const open = new Map<IndexedDBSaver, FreshSaver>();

validate({
  checkpointerName: 'IndexedDBSaver',
  async createCheckpointer() {
    const fresh = await freshSaver();
    open.set(fresh.saver, fresh);
    return fresh.saver;
  },
  async destroyCheckpointer(saver: IndexedDBSaver) {
    const fresh = open.get(saver);
    open.delete(saver);
    if (fresh) await dropSaver(fresh);
  },
});
