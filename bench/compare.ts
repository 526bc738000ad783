/**
 * `npx tsx bench/compare.ts`: this tree against an earlier commit, on the cells of bench/run.ts
 * both trees have, in one session on one machine.
 *
 * The earlier commit is checked out as a git worktree OUTSIDE this repository (default
 * /tmp/stepwise-<commit>) and gets its own `npm ci` (ONNXRUNTIME_NODE_INSTALL=skip) the first
 * time. Then, per rep, each tree runs `bench/run.ts --only <shared cells> --reps 1` in its own
 * directory, old then new, so the two trees take turns on the machine (old, new, old, new, …).
 * Each invocation is a fresh Vite server, Chromium and database per cell, exactly as `npm run
 * bench` measures.
 *
 * The machine is shared, so absolute figures drift between invocations. Every invocation
 * measures the raw IndexedDB commit (raw-put) too; each figure is divided by the raw-put
 * figure of the same invocation (rates ÷ raw puts/s; latencies × raw puts/s, i.e. in units of
 * one raw commit), and the change of that ratio is the comparison that holds on a loaded
 * machine. Reported: medians over reps of the figure and of its per-invocation ratio.
 *
 * Options: --old <commit> (c81102c), --old-dir DIR (/tmp/stepwise-<commit>), --reps N (5),
 * --duration MS per cell (1500), --depth N (100000), --port P (4798), --cells a,b (default: every
 * shared cell), --from FILE (no measuring: recompute the table of an earlier compare-*.json in
 * place). Writes .bench/compare-<start>.json, read by bench/markdown-compare.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeResults } from './driver.ts';
import { median } from './stats.ts';

const { values: opts } = parseArgs({
  options: {
    old: { type: 'string', default: 'c81102c' },
    'old-dir': { type: 'string' },
    reps: { type: 'string', default: '5' },
    duration: { type: 'string', default: '1500' },
    depth: { type: 'string', default: '100000' },
    port: { type: 'string', default: '4798' },
    cells: { type: 'string', default: '' },
    from: { type: 'string' },
  },
});
const newDir = resolve(import.meta.dirname, '..');
const oldDir = opts['old-dir'] ?? `/tmp/stepwise-${opts.old}`;
const REPS = Number(opts.reps);

/** One compared figure of a cell: where it sits in bench/run.ts's JSON, and which way is better. */
export interface Metric {
  cell: string;
  label: string;
  path: string[];
  kind: 'rate' | 'latency';
}

// Latency figures use the mean: the worker's clock steps by 0.1 ms, so a p50 of 2 ms moves by 5% per tick.
const METRICS: Metric[] = [
  { cell: 'raw-put', label: 'raw IDB: 1 put / txn, ops/s', path: ['opsPerSec'], kind: 'rate' },
  { cell: 'raw-batch100', label: 'raw IDB: 100 puts / txn, ops/s', path: ['opsPerSec'], kind: 'rate' },
  { cell: 'raw-put-16lanes', label: 'raw IDB: 1 put / txn, 16 lanes, ops/s', path: ['opsPerSec'], kind: 'rate' },
  { cell: 'raw-cycle', label: 'raw replica of queue cycle, cycles/s', path: ['opsPerSec'], kind: 'rate' },
  { cell: 'raw-cycle-lean', label: 'raw replica, reads together, cycles/s', path: ['opsPerSec'], kind: 'rate' },
  { cell: 'queue-lane1', label: 'queue: enqueue→claim→ack, 1 lane, cycles/s', path: ['opsPerSec'], kind: 'rate' },
  { cell: 'queue-lane1', label: 'queue: enqueue→claim→ack, 1 lane, mean', path: ['latencyMs', 'mean'], kind: 'latency' },
  { cell: 'queue-16lanes', label: 'queue: enqueue→claim→ack, 16 lanes, cycles/s', path: ['opsPerSec'], kind: 'rate' },
  { cell: 'queue-chain-lane1', label: 'queue: claim→ack+enqueue next, 1 lane, steps/s', path: ['opsPerSec'], kind: 'rate' },
  { cell: 'rt-100x10', label: 'runtime 100×10 at 16, steps/s', path: ['stepsPerSec'], kind: 'rate' },
  { cell: 'rt-100x10-depth', label: 'runtime 100×10 at 16, 100k future jobs, steps/s', path: ['stepsPerSec'], kind: 'rate' },
  { cell: 'rt-1x200', label: 'runtime 1×200, steps/s', path: ['stepsPerSec'], kind: 'rate' },
  { cell: 'rt-1x200', label: 'runtime 1×200, transition mean', path: ['transitionMs', 'mean'], kind: 'latency' },
  { cell: 'rt-1x200-sub', label: 'runtime 1×200 subscribed, steps/s', path: ['stepsPerSec'], kind: 'rate' },
  { cell: 'rt-1x200-sub', label: 'runtime 1×200 subscribed, transition mean', path: ['transitionMs', 'mean'], kind: 'latency' },
  { cell: 'client-submit', label: 'client: 1,000 runs submitted at once, runs/s', path: ['burstRunsPerSec'], kind: 'rate' },
  { cell: 'client-submit', label: 'client: sequential submit, executor busy, mean', path: ['submitMs', 'mean'], kind: 'latency' },
  { cell: 'client-submit', label: 'client: sequential submit, no executor, mean', path: ['submitNoExecutorMs', 'mean'], kind: 'latency' },
  { cell: 'client-submit', label: 'client: status round trip, mean', path: ['statusMs', 'mean'], kind: 'latency' },
];

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** The worktree of the old commit, with its dependencies installed; created on first use. */
function ensureOldTree(): string {
  if (!existsSync(join(oldDir, '.git'))) {
    if (resolve(oldDir).startsWith(`${newDir}/`)) throw new Error(`--old-dir must lie outside ${newDir}`);
    process.stderr.write(`[compare] git worktree add ${oldDir} ${opts.old}\n`);
    sh('git', ['worktree', 'add', '--detach', oldDir, opts.old], newDir);
  }
  if (!existsSync(join(oldDir, 'node_modules', '.package-lock.json'))) {
    process.stderr.write(`[compare] npm ci in ${oldDir}\n`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: oldDir, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' }, stdio: 'inherit' });
  }
  return sh('git', ['rev-parse', 'HEAD'], oldDir);
}

/** Cell names declared in a tree's bench/run.ts. */
function cellsOf(dir: string): string[] {
  const src = readFileSync(join(dir, 'bench', 'run.ts'), 'utf8');
  return [...src.matchAll(/\{ cell: '([a-z0-9-]+)'/g)].map((m) => m[1]!);
}

type Json = Record<string, unknown>;
const at = (o: unknown, path: string[]): number | undefined => {
  let x = o;
  for (const k of path) x = typeof x === 'object' && x !== null ? (x as Json)[k] : undefined;
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
};

/** One `bench/run.ts` invocation in `dir`; its first stdout line is the results JSON. */
function runOnce(dir: string, cells: string[]): Promise<Json> {
  const args = ['tsx', 'bench/run.ts', '--only', cells.join(','), '--reps', '1', '--duration', opts.duration, '--depth', opts.depth, '--port', opts.port, '--profile-cycles', '0', '--profile-steps', '0'];
  return new Promise((ok, fail) => {
    const child = spawn('npx', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) fail(new Error(`bench/run.ts in ${dir} exited ${code}:\n${err.slice(-2000)}`));
      else ok(JSON.parse(line) as Json);
    });
  });
}

/** A figure and its ratio to the raw put of the same invocation (rate ÷ puts/s, or latency × puts/s). */
function sample(run: Json, m: Metric): { value?: number; ratio?: number } {
  const median = (cell: string) => ((run['cells'] as Json | undefined)?.[cell] as Json | undefined)?.['median'];
  const value = at(median(m.cell), m.path);
  const raw = at(median('raw-put'), ['opsPerSec']);
  if (value === undefined || raw === undefined) return { value };
  return { value, ratio: m.kind === 'rate' ? value / raw : (value * raw) / 1000 };
}

export interface CompareRow {
  cell: string;
  label: string;
  kind: Metric['kind'];
  old: number;
  new: number;
  /** new ÷ old − 1, of the figure. */
  change: number;
  oldRatio: number;
  newRatio: number;
  /** new ÷ old − 1, of the ratio to the raw put of the same invocation. */
  ratioChange: number;
  /** How much worse the new tree is by the ratio (positive = worse), whichever way the figure points. */
  worse: number;
  /** The same, per rep (new and old of one rep ran back to back): median, min, max. */
  pairedWorse: { median: number; min: number; max: number };
}

/** The table of `metrics` over the reps of both trees. */
function summarize(runs: Record<'old' | 'new', Json[]>, cells: string[]): CompareRow[] {
  return METRICS.filter((m) => cells.includes(m.cell)).map((m) => {
    const s = { old: runs.old.map((r) => sample(r, m)), new: runs.new.map((r) => sample(r, m)) };
    const side = (name: 'old' | 'new') => ({ value: median(s[name].map((x) => x.value ?? NaN)), ratio: median(s[name].map((x) => x.ratio ?? NaN)) });
    const o = side('old');
    const nw = side('new');
    const ratioChange = nw.ratio / o.ratio - 1;
    const sign = m.kind === 'rate' ? -1 : 1;
    const paired = s.new.map((x, i) => sign * ((x.ratio ?? NaN) / (s.old[i]?.ratio ?? NaN) - 1)).filter((v) => Number.isFinite(v));
    return {
      cell: m.cell,
      label: m.label,
      kind: m.kind,
      old: o.value,
      new: nw.value,
      change: nw.value / o.value - 1,
      oldRatio: o.ratio,
      newRatio: nw.ratio,
      ratioChange,
      worse: sign * ratioChange,
      pairedWorse: { median: median(paired), min: Math.min(...paired), max: Math.max(...paired) },
    };
  });
}

function print(output: { meta: Json; rows: CompareRow[] }): void {
  const f = (v: number, k: Metric['kind']) => (k === 'rate' ? v.toFixed(0) : `${v.toFixed(2)} ms`);
  const p = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;
  const meta = output.meta as { old: { commit: string }; new: { commit: string }; reps: number; load: { tree: string; rep: number; before: number; after: number }[] };
  console.log(`\n${meta.old.commit.slice(0, 10)} (old) vs ${meta.new.commit.slice(0, 10)} (new), ${meta.reps} reps in turns, ${cpus().length} cores`);
  console.log(['figure'.padEnd(52), 'old'.padStart(10), 'new'.padStart(10), 'change'.padStart(8), 'old÷raw'.padStart(8), 'new÷raw'.padStart(8), 'worse'.padStart(8), 'per rep (min…max)'.padStart(24)].join(' '));
  for (const r of output.rows) {
    console.log(
      [
        r.label.padEnd(52),
        f(r.old, r.kind).padStart(10),
        f(r.new, r.kind).padStart(10),
        p(r.change).padStart(8),
        r.oldRatio.toFixed(3).padStart(8),
        r.newRatio.toFixed(3).padStart(8),
        `${p(r.worse)}${r.worse > 0.05 ? ' !' : ''}`.padStart(8),
        `${p(r.pairedWorse.median)} (${p(r.pairedWorse.min)}…${p(r.pairedWorse.max)})`.padStart(24),
      ].join(' '),
    );
  }
  console.log(`load (1 min): ${meta.load.map((l) => `${l.tree}${l.rep + 1} ${l.before.toFixed(1)}→${l.after.toFixed(1)}`).join(', ')}`);
}

async function main(): Promise<void> {
  const started = new Date();
  const oldCommit = ensureOldTree();
  const newCommit = sh('git', ['rev-parse', 'HEAD'], newDir);
  const shared = cellsOf(oldDir).filter((c) => cellsOf(newDir).includes(c));
  const cells = opts.cells ? opts.cells.split(',').filter((c) => shared.includes(c)) : shared;
  if (!cells.includes('raw-put')) cells.unshift('raw-put');
  const trees = [
    { name: 'old', dir: oldDir },
    { name: 'new', dir: newDir },
  ] as const;
  const runs: Record<'old' | 'new', Json[]> = { old: [], new: [] };
  const load: { tree: string; rep: number; before: number; after: number }[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    for (const tree of trees) {
      const before = loadavg()[0]!;
      const t = Date.now();
      process.stderr.write(`[compare] rep ${rep + 1}/${REPS} ${tree.name} (load ${before.toFixed(1)}) … `);
      runs[tree.name].push(await runOnce(tree.dir, cells));
      load.push({ tree: tree.name, rep, before, after: loadavg()[0]! });
      process.stderr.write(`${((Date.now() - t) / 1000).toFixed(0)} s\n`);
    }
  }
  const rows = summarize(runs, cells);
  const output = {
    meta: {
      startedAt: started.toISOString(),
      wallMs: Date.now() - started.getTime(),
      old: { commit: oldCommit, dir: oldDir },
      new: { commit: newCommit, dirty: sh('git', ['status', '--porcelain', '--', 'src', 'bench'], newDir).length > 0 },
      reps: REPS,
      durationMs: Number(opts.duration),
      depth: Number(opts.depth),
      cells,
      cpus: cpus().length,
      node: process.version,
      load,
      notes: [
        'per rep: `bench/run.ts --only <cells> --reps 1` in the old tree, then in the new tree (fresh Vite server, Chromium and database per cell each time)',
        'value: median over reps; ÷ raw: median over reps of the figure divided by the raw-put figure of the same invocation (rates ÷ raw puts/s; latencies × raw puts/s, i.e. in raw commits)',
        'latencies are means: the SharedWorker clock steps by 0.1 ms, so medians of a few ms move by whole ticks',
        'worse: how much the ÷ raw figure moved against the new tree (lower rate or higher latency), in %; per rep: the same from each rep\'s old and new invocations (which ran back to back), median and range',
      ],
    },
    rows,
    runs,
  };
  const file = writeResults('compare', started, output);
  print(output);
  console.log(`written: ${file}`);
}

/** `--from FILE`: the table of an earlier comparison recomputed from its stored runs, written back to FILE. */
function recompute(file: string): void {
  const output = JSON.parse(readFileSync(file, 'utf8')) as { meta: Json & { cells: string[] }; rows: CompareRow[]; runs: Record<'old' | 'new', Json[]> };
  output.rows = summarize(output.runs, output.meta.cells);
  writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  print(output);
  console.log(`rewritten: ${file}`);
}

(opts.from ? Promise.resolve(recompute(opts.from)) : main()).catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
