/**
 * A "newer release" of Stepwise for upgrade tests: a copy of src/ whose src/store/db.ts declares
 * schema version 2 (e2e/fixtures/schema-v2.ts), plus the hardening worker fixture beside it, so
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
  const version = /export const DB_VERSION = 1;/;
  const v1 = /(\n {2}db\.version\(1\)\.stores\(\{[\s\S]*?\n {2}\}\);)/;
  if (!version.test(db) || !v1.test(db)) throw new Error(`src/store/db.ts no longer looks as makeRelease2 expects (DB_VERSION = 1 and one db.version(1) block)`);
  db = db.replace(version, 'export const DB_VERSION = 2;').replace(v1, `$1\n  db.version(2).stores(${JSON.stringify(SCHEMA_V2)});`);
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
