/**
 * The `stepwise/vite` plugin, on real Vite builds of small apps written into a temporary
 * directory (nothing written to disk by the builds themselves).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type InlineConfig, type Rolldown } from 'vite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stepwise } from '../../src/vite.ts';
import { findScriptUrls } from '../../src/vite/script-urls.ts';

const clientSource = fileURLToPath(new URL('../../src/client.ts', import.meta.url));

describe('the stepwise Vite plugin', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stepwise-vite-plugin-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Builds `files` (main.ts is the entry) and resolves with every output file. */
  async function buildApp(files: Record<string, string>, config: InlineConfig = {}): Promise<(Rolldown.OutputChunk | Rolldown.OutputAsset)[]> {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    const result = await build({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      plugins: [stepwise()],
      resolve: { alias: { 'stepwise/client': clientSource } },
      ...config,
      build: { write: false, rolldownOptions: { input: join(dir, 'main.ts') }, ...config.build },
    });
    return (Array.isArray(result) ? result : [result]).flatMap((r) => ('output' in r ? r.output : []));
  }

  it('builds a worker imported with ?worker&url as an ES module worker that may split off chunks', async () => {
    const output = await buildApp({
      'main.ts': `import { connect } from 'stepwise/client';\nimport workerUrl from './worker.ts?worker&url';\nexport const client = connect({ url: workerUrl, name: 'app' });\n`,
      'worker.ts': `export {};\nvoid import('./lazy.ts').then((m) => console.log(m.value));\n`,
      'lazy.ts': `export const value: number = 42;\n`,
    });
    const files = new Map(output.map((o) => [o.fileName, o.type === 'chunk' ? o.code : String(o.source)]));
    const worker = [...files.keys()].find((f) => /\/worker-[^/]+\.js$/.test(f));
    const lazy = [...files.keys()].find((f) => /\/lazy-[^/]+\.js$/.test(f));
    expect(worker, [...files.keys()].join(', ')).toBeDefined();
    expect(lazy, [...files.keys()].join(', ')).toBeDefined();
    expect(files.get(worker!)).toContain(`import(\`./${lazy!.split('/').pop()}\`)`);
    expect(files.get(lazy!)).toMatch(/export\s*\{/);
    // The page gets the built worker's URL, not a source file.
    const page = output.find((o): o is Rolldown.OutputChunk => o.type === 'chunk' && o.isEntry)!;
    expect(page.code).toContain(worker!.split('/').pop());
  });

  it('fails a build whose page gives connect() its worker by new URL(), and names the ?worker&url import that works', async () => {
    const failed = buildApp({
      'main.ts': `import { connect } from 'stepwise/client';\nexport const client = connect({ url: new URL('./worker.ts', import.meta.url), name: 'app' });\n`,
      'worker.ts': `export {};\n`,
    });
    await expect(failed).rejects.toThrow(/InvalidArgument|only the development server compiles/);
    await expect(failed).rejects.toThrow(`import workerUrl from './worker.ts?worker&url'`);
  });

  it("refuses a Vite config whose worker.format is not 'es', and says to remove it", async () => {
    const failed = buildApp({ 'main.ts': `export {};\n` }, { worker: { format: 'iife' } });
    await expect(failed).rejects.toMatchObject({ name: 'InvalidArgument' });
    await expect(failed).rejects.toThrow(/remove worker\.format from the Vite config or set it to 'es'/);
  });
});

describe('finding script files named by new URL()', () => {
  it('finds a script file named by new URL(…, import.meta.url), in source order', () => {
    const code = `const a = new URL('./worker.ts', import.meta.url);\nconst b = new URL( "../lib/other.mjs" , import.meta.url );\nconst c = new URL('./picture.png', import.meta.url);`;
    expect(findScriptUrls(code)).toEqual(['./worker.ts', '../lib/other.mjs']);
  });

  it('skips a URL written straight into new Worker() or new SharedWorker(), and lines that are comments', () => {
    const code = [
      `new SharedWorker(new URL('./a.ts', import.meta.url), { type: 'module' });`,
      `new Worker(\n  new URL('./b.ts', import.meta.url));`,
      `// connect({ url: new URL('./c.ts', import.meta.url) })`,
      ` * connect({ url: new URL('./d.ts', import.meta.url) })`,
    ].join('\n');
    expect(findScriptUrls(code)).toEqual([]);
  });
});
