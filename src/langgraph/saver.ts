/**
 * `IndexedDBSaver`: a LangGraph checkpoint saver on the Stepwise database (layout in records.ts).
 *
 * Every method is one or a few transactions through store/tx.ts, and every body awaits only its
 * own requests: values are serialized before a write transaction opens and deserialized after a
 * read transaction has finished. `list` reads in batches, one transaction each, and never holds
 * a transaction while the caller consumes what it yielded.
 *
 * Savers on one database share its tables: a thread is its `thread_id`, and a saver sees every
 * thread of the database (as LangGraph's own savers see every thread of theirs).
 */
import {
  BaseCheckpointSaver,
  WRITES_IDX_MAP,
  copyCheckpoint,
  getCheckpointId,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { WorkflowError, invalidArgument } from '../core/errors.ts';
import { openDatabase } from '../store/open.ts';
import { runTransaction, type TxBody } from '../store/tx.ts';
import { BLOBS, CHECKPOINTS, LG_TABLES, WRITES, prefixRange, type BlobRecord, type CheckpointRecord, type Serialized, type WriteRecord } from './records.ts';
import { readParts, toTuple } from './tuple.ts';

export interface IndexedDBSaverOptions {
  /** The Stepwise database: the `name` given to `serve()` / `Runtime.open()`. */
  name: string;
  /** The IndexedDB factory. @default globalThis.indexedDB */
  indexedDB?: IDBFactory;
  /** The key-range class matching `indexedDB`. @default globalThis.IDBKeyRange */
  IDBKeyRange?: typeof IDBKeyRange;
  /** How values are turned into bytes. @default LangGraph's JSON-plus serializer */
  serde?: SerializerProtocol;
}

/** Checkpoints read per `list` transaction. */
const LIST_BATCH = 32;

export class IndexedDBSaver extends BaseCheckpointSaver {
  readonly name: string;
  readonly #factory: IDBFactory;
  readonly #keyRange: typeof IDBKeyRange;
  #db: Promise<IDBDatabase> | undefined;
  #closed = false;

  /**
   * Opens nothing yet: the database is opened (created or upgraded to this release's schema,
   * the one the runtime uses) by the first call.
   * @throws WorkflowError `InvalidArgument` (no name), `StoreError` (no IndexedDB here: pass
   *   `indexedDB` and `IDBKeyRange`, e.g. from fake-indexeddb in Node)
   */
  constructor(options: IndexedDBSaverOptions) {
    super(options?.serde);
    const name = options?.name;
    if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
      throw invalidArgument('IndexedDBSaver name', 'must be the Stepwise database name, a string of 1 to 255 characters', name);
    }
    const factory = options.indexedDB ?? globalThis.indexedDB;
    const keyRange = options.IDBKeyRange ?? globalThis.IDBKeyRange;
    if (!factory || !keyRange) {
      throw new WorkflowError('StoreError', 'IndexedDB is not available here: pass `indexedDB` and `IDBKeyRange` (e.g. fake-indexeddb in Node)');
    }
    this.name = name;
    this.#factory = factory;
    this.#keyRange = keyRange;
  }

  #open(): Promise<IDBDatabase> {
    if (this.#closed) return Promise.reject(new WorkflowError('StoreClosed', 'the IndexedDBSaver was closed'));
    this.#db ??= openDatabase(this.name, {
      factory: this.#factory,
      // A newer schema is being opened elsewhere: this connection was closed for it. The next
      // call opens again, and fails `Outdated` if this code is now older than the database.
      onVersionChange: () => (this.#db = undefined),
      onClose: () => (this.#db = undefined),
    }).catch((e: unknown) => {
      this.#db = undefined;
      throw e;
    });
    return this.#db;
  }

  async #tx<T>(mode: IDBTransactionMode, body: TxBody<T>): Promise<T> {
    return runTransaction(await this.#open(), this.#keyRange, LG_TABLES, mode, mode === 'readwrite' ? 'relaxed' : 'default', body);
  }

  async #dump(value: unknown): Promise<Serialized> {
    const [type, data] = await this.serde.dumpsTyped(value);
    return { type, data };
  }

  /** Closes the connection; later calls fail `StoreClosed`. */
  close(): void {
    this.#closed = true;
    void this.#db?.then((db) => db.close(), () => undefined);
    this.#db = undefined;
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = optionalString(config.configurable?.thread_id, 'thread_id');
    if (threadId === undefined) return undefined;
    const ns = optionalString(config.configurable?.checkpoint_ns, 'checkpoint_ns') ?? '';
    const checkpointId = getCheckpointId(config) || undefined;
    const stored = await this.#tx('readonly', async (t) => {
      const record = checkpointId
        ? await t.get<CheckpointRecord>(CHECKPOINTS, [threadId, ns, checkpointId])
        : await t.first<CheckpointRecord>(CHECKPOINTS, undefined, prefixRange(t.keyRange, [threadId, ns]), 'prev');
      return record ? readParts(t, record) : undefined;
    });
    return stored && toTuple(this.serde, stored, () => this.getNextVersion(undefined));
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const threadId = optionalString(config.configurable?.thread_id, 'thread_id');
    const ns = optionalString(config.configurable?.checkpoint_ns, 'checkpoint_ns');
    const onlyId = getCheckpointId(config) || undefined;
    const beforeId = optionalString(options.before?.configurable?.checkpoint_id, 'before.checkpoint_id');
    const filter = options.filter ?? {};
    let remaining = options.limit ?? Infinity;
    if (remaining <= 0) return;
    const prefix = threadId === undefined ? [] : ns === undefined ? [threadId] : [threadId, ns];
    let below: IDBValidKey | undefined;
    for (;;) {
      const batch = await this.#tx('readonly', async (t) => {
        const range = listRange(t.keyRange, prefix, below);
        const records: CheckpointRecord[] = [];
        let last: IDBValidKey | undefined;
        const seen = await t.each<CheckpointRecord>(
          CHECKPOINTS,
          undefined,
          range,
          (r, key) => {
            last = key;
            if (ns !== undefined && r.ns !== ns) return;
            if (onlyId !== undefined && r.checkpointId !== onlyId) return;
            if (beforeId !== undefined && r.checkpointId >= beforeId) return;
            records.push(r);
          },
          { direction: 'prev', limit: LIST_BATCH },
        );
        return { parts: await Promise.all(records.map((r) => readParts(t, r))), last, done: seen < LIST_BATCH };
      });
      for (const stored of batch.parts) {
        const tuple = await toTuple(this.serde, stored, () => this.getNextVersion(undefined));
        const metadata = (tuple.metadata ?? {}) as Record<string, unknown>;
        if (!Object.entries(filter).every(([key, value]) => metadata[key] === value)) continue;
        yield tuple;
        if (--remaining <= 0) return;
      }
      if (batch.done || batch.last === undefined) return;
      below = batch.last;
    }
  }

  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const threadId = requiredString(config.configurable?.thread_id, 'thread_id', 'put a checkpoint');
    const ns = optionalString(config.configurable?.checkpoint_ns, 'checkpoint_ns') ?? '';
    const parentId = optionalString(config.configurable?.checkpoint_id, 'checkpoint_id') || null;
    const checkpointId = requiredString(checkpoint.id, 'checkpoint.id', 'put a checkpoint');
    const copy = copyCheckpoint(checkpoint);
    const values = copy.channel_values as Record<string, unknown>;
    copy.channel_values = {};
    const blobs: BlobRecord[] = [];
    for (const channel of Object.keys(newVersions)) {
      // A channel in `newVersions` without a value was emptied: it has no blob and no source.
      if (Object.prototype.hasOwnProperty.call(values, channel)) blobs.push({ threadId, ns, checkpointId, channel, value: await this.#dump(values[channel]) });
    }
    const serialized = await this.#dump(copy);
    const serializedMetadata = await this.#dump(metadata);
    await this.#tx('readwrite', async (t) => {
      const parent = parentId === null ? undefined : await t.get<CheckpointRecord>(CHECKPOINTS, [threadId, ns, parentId]);
      const sources: Record<string, string> = {};
      for (const channel of Object.keys(checkpoint.channel_versions)) {
        const inherited = parent?.sources[channel];
        if (!Object.prototype.hasOwnProperty.call(newVersions, channel) && inherited !== undefined) sources[channel] = inherited;
      }
      for (const blob of blobs) {
        sources[blob.channel] = checkpointId;
        t.put(BLOBS, blob);
      }
      const record: CheckpointRecord = { threadId, ns, checkpointId, parentId, v: checkpoint.v, checkpoint: serialized, metadata: serializedMetadata, sources };
      t.put(CHECKPOINTS, record);
    });
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    const threadId = requiredString(config.configurable?.thread_id, 'thread_id', 'put writes');
    const checkpointId = requiredString(config.configurable?.checkpoint_id, 'checkpoint_id', 'put writes');
    const ns = optionalString(config.configurable?.checkpoint_ns, 'checkpoint_ns') ?? '';
    requiredString(taskId, 'taskId', 'put writes');
    const records: WriteRecord[] = [];
    for (const [i, [channel, value]] of writes.entries()) {
      const idx = WRITES_IDX_MAP[channel] ?? i;
      records.push({ threadId, ns, checkpointId, taskId, idx, channel, taskPath: taskPath ?? '', value: await this.#dump(value) });
    }
    await this.#tx('readwrite', async (t) => {
      const existing = new Set((await t.getAllKeys(WRITES, undefined, prefixRange(t.keyRange, [threadId, ns, checkpointId, taskId]))).map((k) => (k as unknown[])[4]));
      // A task's ordinary writes are kept as first written (a retried task writes the same
      // ones again); special writes (errors, interrupts: negative idx) are replaced.
      for (const r of records) if (r.idx < 0 || !existing.has(r.idx)) t.put(WRITES, r);
    });
  }

  async deleteThread(threadId: string): Promise<void> {
    requiredString(threadId, 'threadId', 'delete a thread');
    await this.#tx('readwrite', async (t) => {
      const range = prefixRange(t.keyRange, [threadId]);
      for (const table of LG_TABLES) t.delete(table, range);
    });
  }
}

function listRange(keyRange: typeof IDBKeyRange, prefix: string[], below: IDBValidKey | undefined): IDBKeyRange | undefined {
  if (below !== undefined) return prefix.length > 0 ? keyRange.bound(prefix, below, false, true) : keyRange.upperBound(below, true);
  return prefix.length > 0 ? prefixRange(keyRange, prefix) : undefined;
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidArgument(what, 'must be a string', value);
  return value;
}

function requiredString(value: unknown, what: string, action: string): string {
  const s = optionalString(value, what);
  if (s === undefined) throw invalidArgument(what, `is required to ${action}: pass it in config.configurable`);
  return s;
}

