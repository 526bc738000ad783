/**
 * A "newer release" of Stepwise for upgrade tests: a copy of src/ whose src/store/db.ts lists
 * one more schema version, DB_VERSION + 1 (e2e/fixtures/schema-v2.ts), plus the hardening worker fixture beside it, so
 * that `/<dir>/e2e/fixtures/hardening.worker.ts` is a worker build of that release (its imports
 * resolve into the copy). Served by the same dev server. Node only.
 *
 * It is written under `.e2e-profiles/` (git-, eslint- and tsc-ignored) and removed by `remove()`.
 */
import { cp, mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SCHEMA_V2 } from '../fixtures/schema-v2.ts';

export interface Release {
  /** The worker script's path on the dev server (for the page's `worker` parameter). */
  readonly workerPath: string;
  remove(): Promise<void>;
}

export async function makeRelease2(root: string, name = 'release-2'): Promise<Release> {
  const rel = join('.e2e-profiles', name);
  const dir = join(root, rel);
  await rm(dir, { recursive: true, force: true });
  await cp(join(root, 'src'), join(dir, 'src'), { recursive: true });
  const dbFile = join(dir, 'src', 'store', 'db.ts');
  let db = await readFile(dbFile, 'utf8');
  // The version list ends at the first line that is just `];`; the schema version is its length.
  const list = /(\nexport const SCHEMA_VERSIONS: readonly SchemaVersion\[\] = \[\n[\s\S]*?\n)(\];\n)/;
  if (!list.test(db) || !db.includes('export const DB_VERSION = SCHEMA_VERSIONS.length;')) {
    throw new Error('src/store/db.ts no longer looks as makeRelease2 expects (a SCHEMA_VERSIONS list closed by a line `];`, DB_VERSION its length)');
  }
  db = db.replace(list, `$1  ${JSON.stringify(SCHEMA_V2)},\n$2`);
  await writeFile(dbFile, db);
  await mkdir(join(dir, 'e2e', 'fixtures'), { recursive: true });
  await cp(join(root, 'e2e', 'fixtures', 'hardening.worker.ts'), join(dir, 'e2e', 'fixtures', 'hardening.worker.ts'));
  return {
    workerPath: `/${rel.split('\\').join('/')}/e2e/fixtures/hardening.worker.ts`,
    remove: async () => {
      await rm(dir, { recursive: true, force: true });
      await rmdir(join(root, '.e2e-profiles')).catch(() => undefined); // only if now empty
    },
  };
}
