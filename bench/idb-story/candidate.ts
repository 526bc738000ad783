/** What each candidate provides to the benchmark worker and to its bundle entry. */
import type { Lane } from './step.ts';

export interface Candidate {
  /** The underlying connection, for untimed seeding and checks only. */
  readonly idb: IDBDatabase;
  /** One step transaction for this lane; resolves once it committed. */
  step(lane: Lane): Promise<void>;
  close(): void;
}

/**
 * Opens (creating or upgrading) the database. `onUpgradeElsewhere` runs when a newer schema
 * version asks for the database: the candidate has closed its connection by then (what
 * Store.onUpgradeElsewhere promises today).
 * @throws WorkflowError `Outdated` when the database is newer than this schema, `StoreError` otherwise
 */
export type OpenCandidate = (name: string, onUpgradeElsewhere: () => void) => Promise<Candidate>;
