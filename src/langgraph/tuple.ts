/**
 * Reading a checkpoint's parts inside a transaction, and turning them into a `CheckpointTuple`
 * outside it (deserializing is asynchronous, so it never happens inside a transaction body).
 */
import {
  TASKS,
  compareWritesSortKeys,
  maxChannelVersion,
  writesSortKey,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import type { Tx } from '../store/tx.ts';
import { BLOBS, WRITES, prefixRange, type BlobRecord, type CheckpointRecord, type StoredTuple, type Version, type WriteRecord } from './records.ts';

/** Issues the reads of one checkpoint's blobs and writes (the transaction's own requests only). */
export async function readParts(t: Tx, record: CheckpointRecord): Promise<StoredTuple> {
  const { threadId, ns, checkpointId, parentId } = record;
  const [blobs, writes, parentWrites] = await Promise.all([
    Promise.all(Object.entries(record.sources).map(([channel, source]) => t.get<BlobRecord>(BLOBS, [threadId, ns, source, channel]))),
    t.getAll<WriteRecord>(WRITES, undefined, prefixRange(t.keyRange, [threadId, ns, checkpointId])),
    record.v < 4 && parentId !== null ? t.getAll<WriteRecord>(WRITES, undefined, prefixRange(t.keyRange, [threadId, ns, parentId])) : Promise.resolve([]),
  ]);
  return {
    record,
    blobs: blobs.filter((b): b is BlobRecord => b !== undefined),
    writes,
    parentSends: parentWrites.filter((w) => w.channel === TASKS),
  };
}

/** Writes in the order live execution applies them: (task path, task id, idx). */
function ordered(writes: WriteRecord[]): WriteRecord[] {
  return writes
    .map((w) => ({ w, key: writesSortKey(w.taskPath, w.taskId, w.idx) }))
    .sort((a, b) => compareWritesSortKeys(a.key, b.key))
    .map(({ w }) => w);
}

export async function toTuple(serde: SerializerProtocol, stored: StoredTuple, nextVersion: () => Version): Promise<CheckpointTuple> {
  const { record } = stored;
  const checkpoint = await serde.loadsTyped(record.checkpoint.type, record.checkpoint.data);
  const channelValues: Record<string, unknown> = {};
  for (const blob of stored.blobs) {
    channelValues[blob.channel] = await serde.loadsTyped(blob.value.type, blob.value.data);
  }
  checkpoint.channel_values = channelValues;
  if (record.v < 4 && record.parentId !== null) {
    // Before format 4, the sends of a super-step were the parent's pending writes to TASKS.
    const sends = [];
    for (const w of ordered(stored.parentSends)) sends.push(await serde.loadsTyped(w.value.type, w.value.data));
    channelValues[TASKS] = sends;
    const versions = checkpoint.channel_versions as Record<string, Version>;
    versions[TASKS] = Object.keys(versions).length > 0 ? maxChannelVersion(...Object.values(versions)) : nextVersion();
  }
  const pendingWrites: CheckpointPendingWrite[] = [];
  for (const w of ordered(stored.writes)) pendingWrites.push([w.taskId, w.channel, await serde.loadsTyped(w.value.type, w.value.data)]);
  const configurable = { thread_id: record.threadId, checkpoint_ns: record.ns };
  const tuple: CheckpointTuple = {
    config: { configurable: { ...configurable, checkpoint_id: record.checkpointId } },
    checkpoint,
    metadata: await serde.loadsTyped(record.metadata.type, record.metadata.data),
    pendingWrites,
  };
  if (record.parentId !== null) tuple.parentConfig = { configurable: { ...configurable, checkpoint_id: record.parentId } };
  return tuple;
}
