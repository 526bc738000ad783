/**
 * Every record of every table of a runtime's database, for "bad input writes nothing" checks:
 * take a dump, make the failing call, take another dump and compare the two.
 */
import type { Runtime } from '../../src/runtime/runtime.ts';
import { TABLES, type TableName } from '../../src/store/db.ts';
import { storeOf } from '../support/internals.ts';

export type TableDump = Record<TableName, unknown[]>;

export function dumpTables(runtime: Runtime): Promise<TableDump> {
  return storeOf(runtime).read(async (t) => {
    const out = {} as TableDump;
    for (const table of TABLES) out[table] = await t.getAll(table, undefined);
    return out;
  });
}

/**
 * Runs `call`, which must reject, and returns what it threw after checking that no table
 * changed. Fails when `call` resolves.
 */
export async function rejectsWritingNothing(runtime: Runtime, call: () => Promise<unknown>): Promise<unknown> {
  const before = await dumpTables(runtime);
  let thrown: unknown;
  let threw = false;
  try {
    await call();
  } catch (e) {
    thrown = e;
    threw = true;
  }
  if (!threw) throw new Error('expected the call to reject');
  const after = await dumpTables(runtime);
  for (const table of TABLES) {
    const a = JSON.stringify(before[table]);
    const b = JSON.stringify(after[table]);
    if (a !== b) throw new Error(`table ${table} changed:\nbefore ${a}\nafter  ${b}`);
  }
  return thrown;
}
