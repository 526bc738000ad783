/**
 * The schema of src/store/db.ts written without Dexie: what candidates (c) idb and (d) no
 * library run in their `upgrade`. Same store names, key paths and index names as Dexie creates
 * from the `stores()` strings (`[a+b]` is the name of the compound index on ['a', 'b'], `&` is
 * unique), so the transaction code of every candidate reads the same database.
 *
 * Native version = 10 × schema version, as Dexie writes it: a database created by today's code
 * opens unchanged (and a newer release's database fails the open with `VersionError`, which
 * src/store/tx.ts already maps to `Outdated`).
 */
export const SCHEMA_VERSION = 1;
export const NATIVE_VERSION = SCHEMA_VERSION * 10;

interface IndexSpec {
  name: string;
  keyPath: string | string[];
  unique?: boolean;
}
interface StoreSpec {
  keyPath: string | string[];
  indexes: IndexSpec[];
}

const idx = (name: string, unique = false): IndexSpec => {
  const compound = /^\[(.+)\]$/.exec(name);
  return { name, keyPath: compound ? compound[1]!.split('+') : name, unique };
};

/** Version 1. A later version adds a function below; the old ones stay, so any old database upgrades step by step. */
const V1: Record<string, StoreSpec> = {
  jobs: { keyPath: 'id', indexes: [idx('ready'), idx('due'), idx('leaseUntil'), idx('dedup', true), idx('purgeAt'), idx('runId'), idx('[queue+state]')] },
  queues: { keyPath: 'name', indexes: [] },
  attempts: { keyPath: ['jobId', 'n'], indexes: [] },
  kv: { keyPath: 'key', indexes: [] },
  runs: { keyPath: 'runId', indexes: [idx('[state+updatedAt]'), idx('updatedAt'), idx('expiresAt')] },
  memos: { keyPath: ['runId', 'step', 'key'], indexes: [] },
  terminals: { keyPath: 'runId', indexes: [idx('terminalAt')] },
  events: { keyPath: 'key', indexes: [] },
  history: { keyPath: ['runId', 'n'], indexes: [] },
};

/** The version history: entry i upgrades a database at schema version i to i + 1, inside the versionchange transaction. */
const VERSIONS: ((db: IDBDatabase, tx: IDBTransaction) => void)[] = [
  (db) => {
    for (const [name, spec] of Object.entries(V1)) {
      const store = db.createObjectStore(name, { keyPath: spec.keyPath });
      for (const i of spec.indexes) store.createIndex(i.name, i.keyPath, { unique: i.unique ?? false });
    }
  },
];

/** Runs every step from `oldNativeVersion` to the current one (the body of `onupgradeneeded`). */
export function upgrade(db: IDBDatabase, oldNativeVersion: number, tx: IDBTransaction): void {
  for (let v = Math.floor(oldNativeVersion / 10); v < SCHEMA_VERSION; v++) VERSIONS[v]!(db, tx);
}

/** The same schema as Dexie `stores()` strings (candidate (b) builds its own Dexie with a different durability). */
export const DEXIE_STORES: Record<string, string> = {
  jobs: 'id, ready, due, leaseUntil, &dedup, purgeAt, runId, [queue+state]',
  queues: 'name',
  attempts: '[jobId+n]',
  kv: 'key',
  runs: 'runId, [state+updatedAt], updatedAt, expiresAt',
  memos: '[runId+step+key]',
  terminals: 'runId, terminalAt',
  events: 'key',
  history: '[runId+n]',
};
