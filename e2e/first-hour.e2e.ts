/**
 * A user's first hour, as a test: the package packed with `npm pack` (which builds it), installed
 * into a fresh copy of examples/vite-app/, type-checked strictly, built for production with Vite,
 * served as static files, and a run driven through a reload in Chromium. Then the same app on
 * the Vite development server. The browser is driven with the packed `stepwise/testing`.
 * Offline: the app's other packages are links to this repository's (scripts/example-app.ts).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { createServer as createViteServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../src/core/types.ts';
import type * as Testing from '../src/testing.ts';
import { BINS, installExampleApp, packPackage, runBin, type PackedPackage } from '../scripts/example-app.ts';

/** This file's port range: 27740–27749 (the production build 27740, the development server 27741). */
const PROD_PORT = 27740;
const DEV_PORT = 27741;
/** Where the example page keeps its client. */
const CLIENT = 'window.stepwise';
/** What the example's research run returns for the question its form starts with. */
const RESULT = { notes: ['notes on "why?"', 'a second source'] };

declare global {
  interface Window {
    stepwise: { mode: Promise<string>; history(runId: string): Promise<AttemptRecord[]>; handoff(runId: string, target: { url: string }): Promise<unknown> };
  }
}

describe('a fresh Vite app with the packed package', () => {
  let workDir = '';
  let appDir = '';
  let packed: PackedPackage;
  let manifest: Record<string, unknown>;
  let testing: typeof Testing;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'stepwise-first-hour-'));
    packed = await packPackage(workDir);
    appDir = join(workDir, 'app');
    manifest = await installExampleApp(appDir, packed.tarball);
    testing = (await import(pathToFileURL(join(appDir, 'node_modules', 'stepwise', 'dist', 'testing.js')).href)) as typeof Testing;
  }, 300_000);
  afterAll(() => (workDir ? rm(workDir, { recursive: true, force: true }) : undefined));

  it('ships every entry built with its types, the README with what it links, the LICENSE, and no install-time script', async () => {
    const files = new Set(packed.files);
    for (const target of Object.values(manifest['exports'] as Record<string, string | Record<string, string>>)) {
      for (const file of typeof target === 'string' ? [target] : Object.values(target)) expect(files, file).toContain(file.replace(/^\.\//, ''));
    }
    expect(files).toContain('LICENSE');
    // Relative links and pictures of the README resolve inside the package (npm shows the README).
    const readme = await readFile(join(appDir, 'node_modules', 'stepwise', 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)\s#]+)[^)]*\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/i.test(l));
    expect(links).toContain('docs/demo.png');
    for (const link of links) expect(files, `README links ${link}`).toContain(link);
    expect(packed.files.filter((f) => /^(src|test|e2e|bench|chaos|demo|models|scripts|examples)\//.test(f))).toEqual([]);

    const scripts = (manifest['scripts'] ?? {}) as Record<string, string>;
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(scripts, hook).not.toHaveProperty(hook);
    // Peers serve one entry each (stepwise/testing, stepwise/vite, …): an app that skips that entry skips them.
    const peers = Object.keys((manifest['peerDependencies'] ?? {}) as Record<string, string>);
    expect(peers).toEqual(expect.arrayContaining(['playwright-core', 'vite']));
    for (const peer of peers) expect(manifest['peerDependenciesMeta'], peer).toHaveProperty([peer, 'optional'], true);
  });

  it('type-checks strictly: the app as Vite sets it up, and every entry under nodenext without skipLibCheck', async () => {
    await runBin(appDir, BINS.tsc, ['--noEmit', '-p', 'tsconfig.json']).catch(failWithOutput);

    const entries = Object.keys(manifest['exports'] as Record<string, unknown>)
      .filter((e) => e !== './package.json')
      .map((e) => `stepwise${e.slice(1)}`);
    const source = entries.map((e, i) => `import * as entry${i} from '${e}';\n`).join('') + `export const entries = [${entries.map((_, i) => `entry${i}`).join(', ')}];\n`;
    await writeFile(join(appDir, 'entries.ts'), source);
    await writeFile(
      join(appDir, 'tsconfig.nodenext.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['ES2022', 'DOM', 'DOM.Iterable', 'ESNext.Disposable'],
          types: ['node'],
          strict: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['entries.ts'],
      }),
    );
    await runBin(appDir, BINS.tsc, ['-p', 'tsconfig.nodenext.json']).catch(failWithOutput);
  }, 300_000);

  it('builds for production, and a run started there survives a reload mid-step and finishes once approved', async () => {
    await runBin(appDir, BINS.vite, ['build']).catch(failWithOutput);
    const assets = await readdir(join(appDir, 'dist', 'assets'));
    expect(assets.filter((f) => /^worker-.+\.js$/.test(f))).toHaveLength(1);
    // The hand-off code is a chunk of its own, fetched only when a run is handed off.
    expect(assets.filter((f) => /^handoff-code-.+\.js$/.test(f))).toHaveLength(1);

    const server = await serveStatic(join(appDir, 'dist'), PROD_PORT);
    const session = await testing.launchChromium();
    try {
      const page = await session.newPage();
      const errors = collectErrors(page);
      await page.goto(`http://127.0.0.1:${PROD_PORT}/`);
      await page.waitForFunction(() => window.stepwise !== undefined);
      expect(await page.evaluate(() => window.stepwise.mode)).toBe('shared');

      await page.getByRole('button', { name: 'Research' }).click();
      const runId = await runIdOf(page);
      await testing.waitForRun(page, runId, { state: 'running', stepNumber: 0, clientExpression: CLIENT });
      const reloadedAt = Date.now();
      await testing.reloadPage(page, { clientExpression: CLIENT });

      // The reloaded page finds the run through list() and offers the decision step 1 waits for.
      await page.locator(`li[data-run-id="${runId}"][data-state="waiting"]`).getByRole('button', { name: 'Approve' }).click();
      const final = await testing.waitForRun(page, runId, { clientExpression: CLIENT });
      expect(final).toMatchObject({ state: 'succeeded', stepNumber: 2, result: RESULT });
      await expect.poll(() => page.locator(`li[data-run-id="${runId}"]`).getAttribute('data-state')).toBe('succeeded');

      // Step 0 was running when the page reloaded, and the extended-lifetime worker finished it
      // as its first and only delivery: nothing was lost, nothing paid for twice.
      const history = await page.evaluate((id) => window.stepwise.history(id), runId);
      expect(history.map((h) => [h.stepNumber, h.attempt, h.outcome])).toEqual([
        [0, 1, 'continued'],
        [1, 1, 'waiting'],
        [2, 1, 'succeeded'],
      ]);
      expect(history[0]!.endedAt).toBeGreaterThan(reloadedAt);
      // The worker loads that chunk on demand in a production build: `RunTerminal` comes from
      // its code (a chunk that failed to load would answer `Unavailable`).
      expect(await page.evaluate((id) => window.stepwise.handoff(id, { url: '/gateway' }).then(() => 'handed off', (e: Error) => e.name), runId)).toBe('RunTerminal');
      expect(errors).toEqual([]);
    } finally {
      await session.close();
      await new Promise((r) => server.close(r));
    }
  });

  it('runs the same app on the Vite development server without the page reloading under it', async () => {
    const server = await createViteServer({
      root: appDir,
      configFile: join(appDir, 'vite.config.ts'),
      logLevel: 'warn',
      clearScreen: false,
      server: { host: '127.0.0.1', port: DEV_PORT, strictPort: true },
    });
    await server.listen();
    const session = await testing.launchChromium();
    try {
      const page = await session.newPage();
      const errors = collectErrors(page);
      let loads = 0;
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) loads++;
      });
      await page.goto(`http://127.0.0.1:${DEV_PORT}/`);
      await page.waitForFunction(() => window.stepwise !== undefined);
      await page.getByRole('button', { name: 'Research' }).click();
      const runId = await runIdOf(page);
      await page.locator(`li[data-run-id="${runId}"][data-state="waiting"]`).getByRole('button', { name: 'Approve' }).click();
      expect(await testing.waitForRun(page, runId, { clientExpression: CLIENT })).toMatchObject({ state: 'succeeded', result: RESULT });
      // A dependency the server discovered only when the worker imported it would have
      // reloaded the page (and interrupted its runs) to pre-bundle it.
      expect(loads).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await session.close();
      await server.close();
    }
  });
});

/** The id of the run the page lists first (the newest). */
async function runIdOf(page: Page): Promise<string> {
  const item = page.locator('li[data-run-id]').first();
  await item.waitFor();
  const id = await item.getAttribute('data-run-id');
  if (!id) throw new Error('the page lists a run without an id');
  return id;
}

/** Uncaught page errors and console errors, as they happen. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  return errors;
}

/** A child process failure with its output in the message (tsc and vite print their errors on stdout). */
function failWithOutput(e: unknown): never {
  const { stdout = '', stderr = '', message } = e as { stdout?: string; stderr?: string; message: string };
  throw new Error(`${message}\n${stdout}\n${stderr}`);
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves `root` as plain static files (what a production host does), `/` being index.html. */
async function serveStatic(root: string, port: number): Promise<Server> {
  const server = createHttpServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://local').pathname);
    const file = resolve(root, `.${path.endsWith('/') ? `${path}index.html` : path}`);
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  return server;
}
