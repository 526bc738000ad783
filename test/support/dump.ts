/**
 * Every record of every table, for "bad input writes nothing" checks: take a dump before the
 * call, make the call, and compare with a dump after it.
 */
import { TABLES, type TableName } from '../../src/store/db.ts';
import type { Store } from '../../src/store/store.ts';

export type Dump = Record<TableName, unknown[]>;

export function dump(store: Store): Promise<Dump> {
  return store.read(async (t) => {
    const out = {} as Dump;
    for (const table of TABLES) out[table] = await t.getAll(table, undefined);
    return out;
  });
}
