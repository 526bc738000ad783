/**
 * durably's storage floor, as raw-put is Stepwise's: one INSERT of a ~200-byte row per
 * autocommit transaction, sequential, through SQLocal (SQLite WASM, "opfs" VFS, in SQLocal's own
 * worker) on a fresh OPFS database file. Reports SQLite's journal mode, which sets the file work
 * a commit does.
 */
import { SQLocal } from 'sqlocal';
import { PAD, loopFigures, runLoop } from '../loop.ts';
import type { LoopCommand, LoopResult } from './protocol.ts';

export async function sqlocalInsertCell(cmd: LoopCommand): Promise<LoopResult> {
  const db = new SQLocal(`peers-sqlocal-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.sqlite3`);
  try {
    await db.sql`CREATE TABLE records (id INTEGER PRIMARY KEY, pad TEXT NOT NULL)`;
    const [mode] = await db.sql<{ journal_mode: string }>`PRAGMA journal_mode`;
    let n = 0;
    const loop = await runLoop(
      { kind: 'cell', cell: 'raw-put', durationMs: cmd.durationMs, maxOps: 1_000_000, warmupOps: cmd.warmupOps, settleMs: cmd.settleMs, lanes: 1 },
      async () => {
        await db.sql`INSERT INTO records (id, pad) VALUES (${n++}, ${PAD})`;
      },
    );
    return {
      cell: cmd.cell,
      ...loopFigures(loop),
      note: `journal_mode=${mode?.journal_mode ?? '?'}`,
    };
  } finally {
    await db.deleteDatabaseFile(undefined, true);
  }
}
