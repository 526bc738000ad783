/**
 * Bundle cost of each candidate: a worker entry that opens the schema and runs the step
 * transaction (bench/idb-story/cand-*.ts), built alone with Vite (Rolldown, minify on, ES
 * module, nothing external: the library is bundled), as bench/size.ts builds. Reports the
 * entry's min and gzip (level 9) bytes, and the library's share: its minified bytes (from the
 * source map) and what cutting them would save after gzip (gzip of the bundle minus gzip of the
 * bundle without them). Also the app worker of bench/size.ts with Dexie bundled, for Dexie's
 * share of the real worker. Node only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Rolldown } from 'vite';
import { attribute, ranges, type SourceMapLike } from '../sourcemap.ts';

const here = import.meta.dirname;
const repoRoot = resolve(here, '../..');

const candidateEntry = (file: string, exported = 'open') =>
  `import { ${exported} as open } from '${here}/${file}';\nimport { newLane } from '${here}/step.ts';\n` +
  `const c = await open('stepwise', () => console.log('upgraded elsewhere'));\nawait c.step(newLane(0));\nc.close();\n`;

export const SIZE_ENTRIES: Record<string, string> = {
  today: candidateEntry('cand-today.ts'),
  'dexie-idb': candidateEntry('cand-dexie-idb.ts'),
  dexie: candidateEntry('cand-dexie.ts'),
  idb: candidateEntry('cand-idb.ts'),
  raw: candidateEntry('cand-raw.ts'),
  'worker-app (today, Dexie bundled)': `import { serve, Outcome } from '${repoRoot}/src/worker.ts';\nserve({ name: 'app', workflows: { w: async () => Outcome.succeed(null) } });\n`,
};

export interface SizeRow {
  entry: string;
  minBytes: number;
  gzipBytes: number;
  library: { name: string; minBytes: number; gzipMarginalBytes: number } | null;
  error?: string;
}

const gz = (text: string) => gzipSync(text, { level: 9 }).length;

function withoutRanges(code: string, cut: readonly { start: number; end: number }[]): string {
  let kept = '';
  let at = 0;
  for (const r of [...cut].sort((a, b) => a.start - b.start)) {
    if (r.start < at) continue;
    kept += code.slice(at, r.start);
    at = r.end;
  }
  return kept + code.slice(at);
}

async function measure(name: string, source: string, dir: string): Promise<SizeRow> {
  const slug = name.replace(/[^a-z0-9-]+/gi, '_');
  const entry = join(dir, `${slug}.entry.ts`);
  writeFileSync(entry, source);
  const out = (await build({
    configFile: false,
    root: repoRoot,
    logLevel: 'silent',
    build: {
      outDir: join(dir, 'out', slug),
      emptyOutDir: true,
      minify: true,
      sourcemap: 'hidden',
      copyPublicDir: false,
      modulePreload: false,
      reportCompressedSize: false,
      rolldownOptions: { input: { [slug]: entry }, external: [/^node:/, /^@huggingface\//, /^@xenova\//], output: { format: 'es', entryFileNames: '[name].js', codeSplitting: false } },
    },
  })) as Rolldown.RolldownOutput;
  const chunks = out.output.filter((o): o is Rolldown.OutputChunk => o.type === 'chunk');
  if (chunks.length !== 1) throw new Error(`${name}: expected one chunk, got ${chunks.length}`);
  const chunk = chunks[0]!;
  const rs = ranges(chunk.code, chunk.map as unknown as SourceMapLike);
  const lib = (source: string) => /node_modules\/(dexie|idb)\//.exec(source)?.[1];
  const libs = new Set(rs.map((r) => lib(r.source)).filter((x): x is string => x !== undefined));
  const libRanges = rs.filter((r) => lib(r.source) !== undefined);
  const libMin = attribute(chunk.code, rs).filter((a) => lib(a.source) !== undefined).reduce((s, a) => s + a.minBytes, 0);
  return {
    entry: name,
    minBytes: Buffer.byteLength(chunk.code),
    gzipBytes: gz(chunk.code),
    library: libs.size === 0 ? null : { name: [...libs].join('+'), minBytes: libMin, gzipMarginalBytes: gz(chunk.code) - gz(withoutRanges(chunk.code, libRanges)) },
  };
}

/** Builds every entry; an entry that fails to build (src/ mid-edit) is reported, not fatal. */
export async function measureSizes(): Promise<SizeRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-idb-story-'));
  try {
    const rows: SizeRow[] = [];
    for (const [name, source] of Object.entries(SIZE_ENTRIES)) {
      try {
        rows.push(await measure(name, source, dir));
      } catch (e) {
        rows.push({ entry: name, minBytes: NaN, gzipBytes: NaN, library: null, error: e instanceof Error ? e.message : String(e) });
      }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
