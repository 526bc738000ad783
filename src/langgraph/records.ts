/**
 * How LangGraph checkpoints lie in the Stepwise database: three object stores, every key
 * starting with [threadId, checkpointNs], so a thread (or one namespace of it) is one key range.
 *
 * - `lg_checkpoints` [threadId, ns, checkpointId]: the checkpoint without its channel values,
 *   its metadata, its parent's id, and `sources`: for each channel that has a value, the
 *   checkpoint whose blob holds it (so the blobs are read in the same transaction, before
 *   anything is deserialized).
 * - `lg_blobs` [threadId, ns, checkpointId, channel]: the channel values a checkpoint changed.
 *   A checkpoint stores only the channels of its `newVersions`; every other channel is the one
 *   its parent had (`sources` is inherited from the parent record when the checkpoint is put).
 *   Keying blobs by the writing checkpoint, not by channel version, keeps two branches of a
 *   thread (a fork from an older checkpoint reaches the same version numbers) apart.
 * - `lg_writes` [threadId, ns, checkpointId, taskId, idx]: the pending writes of a checkpoint.
 *
 * Checkpoint ids are uuid6 (time-ordered), so key order within a namespace is checkpoint order.
 * Values are serialized by the saver's `serde` (bytes), never structured-cloned as they are.
 */
import type { TableName } from '../store/db.ts';

export const CHECKPOINTS = 'lg_checkpoints' satisfies TableName;
export const BLOBS = 'lg_blobs' satisfies TableName;
export const WRITES = 'lg_writes' satisfies TableName;
export const LG_TABLES: readonly TableName[] = [CHECKPOINTS, BLOBS, WRITES];

/** A value as the serializer wrote it. */
export interface Serialized {
  type: string;
  data: Uint8Array;
}

export type Version = number | string;

export interface CheckpointRecord {
  threadId: string;
  ns: string;
  checkpointId: string;
  /** The checkpoint this one was written after, if any. */
  parentId: string | null;
  /** The checkpoint's format version (`Checkpoint.v`): below 4, pending sends live in the parent's writes. */
  v: number;
  /** The checkpoint with `channel_values` emptied. */
  checkpoint: Serialized;
  metadata: Serialized;
  /** Channel name → id of the checkpoint (this one or an ancestor) whose blob holds its value. */
  sources: Record<string, string>;
}

export interface BlobRecord {
  threadId: string;
  ns: string;
  /** The checkpoint that wrote this value. */
  checkpointId: string;
  channel: string;
  value: Serialized;
}

export interface WriteRecord {
  threadId: string;
  ns: string;
  checkpointId: string;
  taskId: string;
  idx: number;
  channel: string;
  /** The task's path (`writesSortKey` order); '' when the caller gave none. */
  taskPath: string;
  value: Serialized;
}

/** Everything a tuple is built from, read in one transaction. */
export interface StoredTuple {
  record: CheckpointRecord;
  blobs: BlobRecord[];
  writes: WriteRecord[];
  /** The parent's writes to the tasks channel, for a checkpoint of format version below 4. */
  parentSends: WriteRecord[];
}

/** The key range of everything under `prefix` (arrays sort after every string and number). */
export function prefixRange(keyRange: typeof IDBKeyRange, prefix: IDBValidKey[]): IDBKeyRange {
  return keyRange.bound(prefix, [...prefix, []]);
}
