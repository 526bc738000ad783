/**
 * Where `workflow()` functions keep their journal on Restate: the run's data object, under the
 * memo step -1 and the same keys the browser uses, so a journal handed off from the browser is
 * the one the server replays. The function code and its replay run unchanged.
 *
 * The fence is the data object's: a write from a delivery that is no longer the latest attempt
 * of its step fails `ClaimLost` and writes nothing; a record already there is kept.
 */
import { JOURNAL_STEP, type JournalRecords } from '../functions/journal.ts';
import type { RunData } from './remote-memo.ts';

/** The journal of the run `data` serves, as one delivery of one step sees it. */
export function remoteJournalRecords(data: RunData): JournalRecords {
  return {
    load: (_runId, prefix) => data.list(JOURNAL_STEP, prefix),
    append: (_runId, _fence, records) => data.put(records.map((r) => ({ step: JOURNAL_STEP, key: r.key, value: r.value })), true),
  };
}
