/**
 * Where the resume benchmark's page and worker come from (Node only):
 * - `production`: a Vite build of bench/resume/ (page bundle + ES worker bundle, minified, as an
 *   app ships it) into a temporary directory, served by a small static server on a fixed
 *   127.0.0.1 port (IndexedDB is per origin, port included). Caching as a deploy would set it:
 *   the HTML revalidates (ETag → 304), hashed assets are immutable, so a reopened or reloaded
 *   tab gets its scripts from the HTTP cache, as a returning user does;
 * - `dev`: the Vite dev server of src/testing (unbundled modules, dozens of requests per worker
 *   start), for comparison with the e2e figures measured there.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, relative, resolve, sep } from 'node:path';
import { build } from 'vite';
import { startDevServer } from '../../src/testing/server.ts';

export type BuildKind = 'production' | 'dev';

export interface AppServer {
  readonly origin: string;
  /** The page URL path. */
  readonly pagePath: string;
  /** Built files and their sizes in bytes (production only). */
  readonly files: Record<string, number>;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css', '.map': 'application/json' };

export async function startApp(kind: BuildKind, port: number, repoRoot: string): Promise<AppServer> {
  if (kind === 'dev') {
    const server = await startDevServer({ port, root: repoRoot });
    return { origin: server.origin, pagePath: '/bench/resume/index.html', files: {}, close: () => server.close() };
  }
  const outDir = await mkdtemp(join(tmpdir(), 'stepwise-resume-build-'));
  await build({
    configFile: false,
    root: join(repoRoot, 'bench', 'resume'),
    logLevel: 'warn',
    worker: { format: 'es' },
    build: { outDir, emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0, reportCompressedSize: false },
  });
  const files: Record<string, number> = {};
  for (const f of await readdir(outDir, { recursive: true })) {
    const s = await stat(join(outDir, f));
    if (s.isFile()) files[f.split(sep).join('/')] = s.size;
  }
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://local').pathname);
      const file = resolve(outDir, `.${path}`);
      if (relative(outDir, file).startsWith('..')) return void res.writeHead(403).end();
      const body = await readFile(file).catch(() => undefined);
      if (!body) return void res.writeHead(404).end();
      const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
      const hashed = path.startsWith('/assets/');
      const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', etag, 'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache' };
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, headers).end();
      res.writeHead(200, headers).end(body);
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    pagePath: '/index.html',
    files,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(outDir, { recursive: true, force: true });
    },
  };
}
