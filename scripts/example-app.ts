/**
 * A user's first install, offline: packs this package with `npm pack` (its `prepack` builds
 * dist/), and sets up a copy of examples/vite-app/ in a fresh directory with the tarball
 * installed as its `stepwise` dependency. The first-hour e2e test uses it; by hand:
 *
 *   npx tsx scripts/example-app.ts [DIR]    # then, in DIR: npx tsc --noEmit, npx vite build, npx vite
 *
 * `node_modules/stepwise` is the tarball's content, exactly as npm unpacks it. Everything else
 * the app needs (the package's `dependencies` and optional peers, the app's devDependencies,
 * and the Node types that the type check of every entry needs) is a symlink to this
 * repository's node_modules, because a registry install would need the network. The package's
 * own dependencies are linked by the names its packed manifest declares, so one missing there
 * fails the app's build.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const exampleDir = join(repoRoot, 'examples', 'vite-app');

/** Packages the app resolves besides `stepwise`'s dependencies and peers: its tools, and Node's types for the Node-side entries. */
const APP_TOOLS = ['vite', 'typescript', '@types/node'];
/** The app's command-line tools, by bin name: paths inside node_modules. */
export const BINS = { vite: 'vite/bin/vite.js', tsc: 'typescript/bin/tsc' } as const;

export interface PackedPackage {
  /** The .tgz written by `npm pack`. */
  tarball: string;
  /** Every path in the tarball, relative to the package root (`package/` stripped), sorted. */
  files: string[];
}

/** `npm pack` into `dir` (lifecycle scripts included: `prepack` builds dist/). */
export async function packPackage(dir: string): Promise<PackedPackage> {
  await run('npm', ['pack', '--pack-destination', dir, '--loglevel', 'error'], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
  const name = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
  if (!name) throw new Error(`npm pack wrote no tarball into ${dir}`);
  const tarball = join(dir, name);
  const { stdout } = await run('tar', ['-tzf', tarball], { maxBuffer: 16 * 1024 * 1024 });
  const files = stdout
    .split('\n')
    .filter((line) => line.length > 0 && !line.endsWith('/'))
    .map((line) => line.replace(/^package\//, ''))
    .sort();
  return { tarball, files };
}

/**
 * A copy of examples/vite-app/ in `appDir` (created) with the tarball as its `stepwise`.
 * @returns the installed package's manifest
 */
export async function installExampleApp(appDir: string, tarball: string): Promise<Record<string, unknown>> {
  await mkdir(appDir, { recursive: true });
  await cp(exampleDir, appDir, { recursive: true, filter: (src) => !/[/\\](node_modules|dist)$/.test(src) });
  const modules = join(appDir, 'node_modules');
  await mkdir(modules, { recursive: true });
  const unpacked = await mkdtemp(join(tmpdir(), 'stepwise-unpack-'));
  await run('tar', ['-xzf', tarball, '-C', unpacked]);
  await rename(join(unpacked, 'package'), join(modules, 'stepwise'));
  await rm(unpacked, { recursive: true, force: true });

  const manifest = JSON.parse(await readFile(join(modules, 'stepwise', 'package.json'), 'utf8')) as Record<string, unknown>;
  // The optional peers too: the type check of every entry needs them all.
  const declared = ['dependencies', 'peerDependencies'].flatMap((field) => Object.keys((manifest[field] ?? {}) as Record<string, string>));
  for (const name of new Set([...declared, ...APP_TOOLS])) await linkFromRepo(modules, name);
  // What `npm install` would put in .bin for the app's scripts (`npx vite`, `npx tsc`).
  await mkdir(join(modules, '.bin'), { recursive: true });
  for (const [bin, script] of Object.entries(BINS)) await symlink(join('..', script), join(modules, '.bin', bin));
  return manifest;
}

async function linkFromRepo(modules: string, name: string): Promise<void> {
  const target = join(repoRoot, 'node_modules', name);
  if (!existsSync(target)) throw new Error(`${name} is not installed in ${repoRoot}/node_modules: run npm install there first`);
  const link = join(modules, name);
  await mkdir(dirname(link), { recursive: true });
  await symlink(target, link, 'dir');
}

/** Runs a package's bin script from the app's node_modules with this Node, in `appDir`. */
export async function runBin(appDir: string, script: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [join(appDir, 'node_modules', script), ...args], { cwd: appDir, maxBuffer: 64 * 1024 * 1024 });
}

async function main(): Promise<void> {
  const appDir = resolve(process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'stepwise-vite-app-'))));
  const packDir = await mkdtemp(join(tmpdir(), 'stepwise-pack-'));
  const { tarball, files } = await packPackage(packDir);
  await installExampleApp(appDir, tarball);
  console.log(`${basename(tarball)}: ${files.length} files; the app is in ${appDir}`);
  console.log(`cd ${appDir} && npx tsc --noEmit && npx vite build && npx vite preview`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
