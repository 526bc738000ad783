/**
 * `npx tsx bench/size.ts`: what Stepwise costs an app in bytes, min+gzip (and brotli), so the
 * page client stays ≤ 4 KB and the worker core ≤ 20 KB.
 *
 * Each bundle is a separate production Vite build (Rolldown, minify on, ES module output, Vite's
 * default browser target) into a temp dir, one entry per build so nothing is shared:
 * - client: what a page pulls in for `connect()` from src/client.ts, comlink included
 *   (`client-full` is the whole src/client.ts barrel);
 * - worker-core: src/worker.ts (serve + runtime + queue + store; every export of the barrel), with
 *   dexie, @huggingface/* and @xenova/* external (the app pays for Dexie once, runners are their
 *   own entries); comlink and eventsource-parser are bundled if reachable, and the report says
 *   whether they were (`worker-app` is only `serve` + `Outcome`, as an app's worker imports);
 * - a chunk a bundle loads with `import()` (the hand-off code) is a row of its own,
 *   `<bundle> + <chunk> (lazy)`: only apps that use it fetch it, so it is not in the bundle's size.
 * Sizes are of the emitted file, gzip at level 9 and brotli at quality 11 (node:zlib). Per-module
 * breakdown: the minified bytes each source file owns, read back from the build's source map
 * (bench/sourcemap.ts); what cutting them would save after gzip (gzip of the bundle minus gzip
 * of the bundle without them: gzip shares context, so a module's own gzip size would mislead);
 * Rolldown's pre-minify `renderedLength` and the exports it kept. Also, from the bundle's
 * AST: string literal bytes per module, the longest strings, and the names minification keeps.
 * Options: --root DIR (the checkout to measure; default this one).
 * Output: .bench/size-<iso>.json (printed) and a table.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { Visitor, build, parseSync, version as viteVersion, type Rolldown } from 'vite';
import { writeResults } from './driver.ts';
import { attribute, ownerAt, ranges, type Range, type SourceMapLike } from './sourcemap.ts';

const { values: opts } = parseArgs({ options: { root: { type: 'string', default: resolve(import.meta.dirname, '..') } } });
/** The checkout measured (--root: e.g. `git archive HEAD` unpacked beside a symlinked node_modules); results go to this repo's .bench/. */
const repoRoot = resolve(opts.root);
const EXTERNAL = [/^node:/, 'dexie', /^@huggingface\//, /^@xenova\//];
const TARGETS: Record<string, number> = { client: 4096, 'worker-core': 20480 };

/** Entry name → module source (written to the temp dir; absolute imports into src/). */
const ENTRIES: Record<string, string> = {
  client: `export { connect } from '${repoRoot}/src/client.ts';`,
  'client-full': `export * from '${repoRoot}/src/client.ts';`,
  'worker-core': `export * from '${repoRoot}/src/worker.ts';`,
  'worker-app': `import { serve, Outcome } from '${repoRoot}/src/worker.ts';\nserve({ name: 'app', workflows: { w: async () => Outcome.succeed(null) } });`,
};

interface ModuleRow { module: string; minBytes: number; gzipMarginalBytes: number; gzipAloneBytes: number; renderedLength: number | null; renderedExports: string[] }

const gz = (text: string) => gzipSync(text, { level: 9 }).length;

/**
 * gzip(bundle) − gzip(bundle with these ranges cut out): what deleting them would save after
 * gzip, given the rest stays (the cut text is not valid JS; gzip does not care).
 */
function gzipMarginal(code: string, cut: readonly { start: number; end: number }[]): number {
  const sorted = [...cut].sort((a, b) => a.start - b.start);
  let kept = '';
  let at = 0;
  for (const r of sorted) {
    if (r.start < at) continue;
    kept += code.slice(at, r.start);
    at = r.end;
  }
  return gz(code) - gz(kept + code.slice(at));
}

function label(id: string): string {
  const rel = relative(repoRoot, id.replace(/^\0/, ''));
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(rel);
  return nm ? `${nm[1]}: ${rel.slice(rel.lastIndexOf('/') + 1)}` : rel;
}

interface Literal { module: string; start: number; end: number; bytes: number; text: string }

/**
 * What the minifier cannot shorten, from the bundle's AST: string literals and template text
 * (error messages, store/field names) with the module each came from, and names that survive
 * minification (properties, methods, private fields, globals), by total bytes (count × length).
 */
function survivors(code: string, rs: readonly Range[], moduleOf: (source: string) => string) {
  const literals: Literal[] = [];
  const names = new Map<string, number>();
  const lit = (start: number, end: number, text: string) => literals.push({ module: moduleOf(ownerAt(rs, start)), start, end, bytes: end - start, text });
  const name = (n: string) => n.length >= 4 && names.set(n, (names.get(n) ?? 0) + 1);
  new Visitor({
    Literal: (n) => void (typeof n.value === 'string' && lit(n.start, n.end, n.value)),
    TemplateElement: (n) => void lit(n.start, n.end, n.value.raw),
    Identifier: (n) => void name(n.name),
    PrivateIdentifier: (n) => void name(`#${n.name}`),
  }).visit(parseSync('bundle.js', code).program);
  const byModule = new Map<string, number>();
  for (const l of literals) byModule.set(l.module, (byModule.get(l.module) ?? 0) + l.bytes);
  return {
    stringBytes: literals.reduce((s, l) => s + l.bytes, 0),
    /** What emptying every string of 24+ bytes (messages, mostly) would save after gzip. */
    stringsOver24GzipMarginalBytes: gzipMarginal(code, literals.filter((l) => l.bytes >= 24)),
    stringBytesByModule: Object.fromEntries([...byModule].sort((x, y) => y[1] - x[1])),
    longestStrings: literals.filter((l) => l.bytes >= 40).sort((x, y) => y.bytes - x.bytes).slice(0, 25).map(({ module, bytes, text }) => ({ module, bytes, text })),
    costlyNames: [...names].map(([n, count]) => ({ name: n, count, bytes: count * n.length })).sort((x, y) => y.bytes - x.bytes).slice(0, 25),
  };
}

/**
 * A page build wraps each `import()` in Vite's preload helper (~0.8 KB gzip: `<link
 * rel=modulepreload>` for the chunk's dependencies); a worker build, which is how an app bundles
 * Stepwise's worker, does not. So the helper here only calls the import, as in the worker.
 */
const PRELOAD_HELPER = '\0vite/preload-helper.js';
const noPreloadHelper = { name: 'stepwise-size:no-preload-helper', enforce: 'pre' as const, load: (id: string) => (id === PRELOAD_HELPER ? 'export const __vitePreload = (load) => load();' : undefined) };

async function measure(name: string, dir: string) {
  const entry = join(dir, `${name}.entry.ts`);
  writeFileSync(entry, `${ENTRIES[name]!}\n`);
  const out = (await build({
    configFile: false,
    root: repoRoot,
    logLevel: 'silent',
    plugins: [noPreloadHelper],
    build: {
      outDir: join(dir, 'out', name),
      emptyOutDir: true,
      minify: true,
      sourcemap: 'hidden',
      copyPublicDir: false,
      modulePreload: false,
      reportCompressedSize: false,
      // 'allow-extension': code loaded with import() (the hand-off) becomes its own chunk that
      // imports from the entry chunk, as in an app's build; 'strict' would split a third,
      // shared chunk off the entry instead.
      rolldownOptions: { input: { [name]: entry }, preserveEntrySignatures: 'allow-extension', external: EXTERNAL, output: { format: 'es', entryFileNames: '[name].js' } },
    },
  })) as Rolldown.RolldownOutput;
  const chunks = out.output.filter((o): o is Rolldown.OutputChunk => o.type === 'chunk');
  const main = chunks.find((c) => c.isEntry);
  const lazy = chunks.filter((c) => c !== main);
  // The entry chunk is what every app pays; the others must be loaded on demand only.
  if (!main || lazy.some((c) => !c.isDynamicEntry)) throw new Error(`${name}: expected one entry chunk and import() chunks, got ${chunks.map((c) => c.fileName).join(', ')}`);
  const lazyRows = lazy.map((c) => ({ ...analyse(c, dir, name), name: `${name} + ${c.name} (lazy)`, entry: `import() from ${name}` }));
  return [{ ...analyse(main, dir, name), name, entry: ENTRIES[name]!.replaceAll(repoRoot, '.'), lazyChunks: lazyRows.map((r) => ({ name: r.name, gzipBytes: r.gzipBytes, modules: r.modules.map((m) => m.module) })) }, ...lazyRows];
}

/** Sizes of one emitted chunk, by module (see the file comment). */
function analyse(chunk: Rolldown.OutputChunk, dir: string, name: string) {
  const bytes = Buffer.from(chunk.code);
  const rs = ranges(chunk.code, chunk.map as unknown as SourceMapLike);
  const moduleOf = (source: string) => (source.startsWith('(') ? source : label(resolve(join(dir, 'out', name), source)));
  const rendered = new Map(Object.entries(chunk.modules).map(([id, m]) => [label(id), m]));
  const modules: ModuleRow[] = attribute(chunk.code, rs).map((a) => {
    const key = moduleOf(a.source);
    const m = rendered.get(key);
    const gzipMarginalBytes = gzipMarginal(chunk.code, rs.filter((r) => r.source === a.source));
    return { module: key, minBytes: a.minBytes, gzipMarginalBytes, gzipAloneBytes: a.gzipAloneBytes, renderedLength: m?.renderedLength ?? null, renderedExports: m?.renderedExports ?? [] };
  });
  const has = (pkg: string) => modules.some((m) => m.module.startsWith(`${pkg}:`));
  const gzip = gz(chunk.code);
  const target = chunk.isEntry ? TARGETS[name] : undefined;
  return {
    minBytes: bytes.length,
    gzipBytes: gzip,
    brotliBytes: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    targetGzipBytes: target ?? null,
    overTargetBytes: target === undefined ? null : gzip - target,
    bundled: { comlink: has('comlink'), 'eventsource-parser': has('eventsource-parser'), dexie: has('dexie') },
    imports: chunk.imports,
    dynamicImports: chunk.dynamicImports,
    modules,
    ...survivors(chunk.code, rs, moduleOf),
  };
}

/** The measured checkout's commit and whether src/ has uncommitted changes (others edit it concurrently). */
function git(): { commit: string; srcDirty: boolean } | null {
  try {
    const run = (args: string) => execSync(`git ${args}`, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: run('rev-parse HEAD'), srcDirty: run('status --porcelain -- src').length > 0 };
  } catch {
    return null;
  }
}

const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;

async function main(): Promise<void> {
  const started = new Date();
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-size-'));
  try {
    const bundles = [];
    for (const name of Object.keys(ENTRIES)) bundles.push(...(await measure(name, dir)));
    const output = { meta: { startedAt: started.toISOString(), root: repoRoot, git: git(), vite: viteVersion, node: process.version, external: EXTERNAL.map(String), gzipLevel: 9, brotliQuality: 11 }, bundles };
    const file = writeResults('size', started, output);
    console.log(JSON.stringify(output));
    const g = output.meta.git;
    console.log(`\nStepwise bundle sizes of ${repoRoot} (${g ? `${g.commit.slice(0, 8)}${g.srcDirty ? ', src/ modified' : ''}` : 'not a git checkout'}; vite ${viteVersion}, minified ES module; gzip -9, brotli q11)\n`);
    const w = Math.max(13, ...bundles.map((b) => b.name.length + 2));
    console.log(`${'bundle'.padEnd(w)}${'min'.padStart(11)}${'gzip'.padStart(11)}${'brotli'.padStart(11)}  target    bundled`);
    for (const b of bundles) {
      const target = b.targetGzipBytes === null ? '' : `${b.overTargetBytes! > 0 ? 'OVER' : 'ok'} ${kb(b.targetGzipBytes)}`;
      const inc = Object.entries(b.bundled).filter(([, v]) => v).map(([k]) => k).join(', ') || '-';
      console.log(`${b.name.padEnd(w)}${kb(b.minBytes).padStart(11)}${kb(b.gzipBytes).padStart(11)}${kb(b.brotliBytes).padStart(11)}  ${target.padEnd(9)} ${inc}`);
    }
    for (const b of bundles.filter((x) => x.name === 'client' || x.name === 'worker-core')) {
      console.log(`\n${b.name}: bytes by module: min, share of min, gzip saved if cut (marginal), gzip of it alone`);
      for (const m of b.modules.slice(0, 30)) {
        const cols = [m.minBytes, `${((100 * m.minBytes) / b.minBytes).toFixed(1)}%`, m.gzipMarginalBytes, m.gzipAloneBytes].map((v) => String(v).padStart(7));
        console.log(`  ${m.module.padEnd(34)}${cols.join('')}`);
      }
      console.log(`  string/template literal bytes: ${b.stringBytes} (${((100 * b.stringBytes) / b.minBytes).toFixed(1)}% of min; those ≥24 bytes cost ${b.stringsOver24GzipMarginalBytes} gzip bytes); by module: ${Object.entries(b.stringBytesByModule).slice(0, 6).map(([m, n]) => `${m} ${n}`).join(', ')}`);
      console.log(`  names the minifier keeps, by bytes: ${b.costlyNames.slice(0, 12).map((n) => `${n.name}×${n.count}`).join(' ')}`);
    }
    console.log(`\nwritten: ${file}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
