/**
 * The BENCHMARKS.md section "Against the previous main", from the newest `.bench/compare-*.json`
 * (written by `npx tsx bench/compare.ts`): the cells of bench/run.ts both commits share, the two
 * trees run in turns in one session, each figure also divided by the raw IndexedDB commit of its
 * own invocation.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { get, kb, table, type Obj } from './markdown-format.ts';

export const COMPARE_HEADING = '## Against the previous main';

interface Row {
  label: string;
  kind: 'rate' | 'latency';
  old: number;
  new: number;
  change: number;
  oldRatio: number;
  newRatio: number;
  worse: number;
  pairedWorse?: { median: number; min: number; max: number };
}

/** The newest comparison over every shared cell, and any newer one over a subset (a rerun of flagged cells). */
export function compareSection(root: string): string[] {
  const out = [COMPARE_HEADING, ''];
  const dir = join(root, '.bench');
  const files = readdirSync(dir).filter((f) => f.startsWith('compare-') && f.endsWith('.json')).sort();
  const load = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Obj;
  const all = files.map((file) => ({ file, json: load(file) }));
  const fullAt = all.map((c) => (get<string[]>(c.json, 'meta', 'cells') ?? []).length >= 10).lastIndexOf(true);
  if (fullAt < 0) return [...out, 'No comparison over every shared cell in .bench/: run `npx tsx bench/compare.ts`.'];
  out.push(...compareTable(all[fullAt]!.file, all[fullAt]!.json));
  const floor = (get<Row[]>(all[fullAt]!.json, 'rows') ?? []).filter((r) => r.label.startsWith('raw') && !r.label.startsWith('raw IDB: 1 put / txn, ops'));
  out.push(
    '',
    `"new" is the working tree at each of its invocations (other work may change it during a run). The raw rows run the same code in both trees (only the untimed opening of their database differs), so their "worse by" is this session's noise floor: ${floor.map((r) => `${r.worse >= 0 ? '+' : ''}${(r.worse * 100).toFixed(1)}%`).join(', ')}. A figure is worse only beyond that floor and in most reps: the last column is the same ratio from each rep's old and new invocations, which ran back to back (positive = new worse).`,
  );
  for (const rerun of all.slice(fullAt + 1)) {
    out.push('', 'Rerun of some cells, after the run above (same method):', '', ...compareTable(rerun.file, rerun.json, false));
  }
  const oldDir = String(get<string>(all[fullAt]!.json, 'meta', 'old', 'dir'));
  out.push(...structure(join(oldDir, '.bench'), dir));
  out.push(...sizeTable(oldDir, dir));
  return out;
}

/** Load-independent: the requests of one transition and of one submit, from the newest transition profile of each tree. */
function structure(oldBench: string, newBench: string): string[] {
  const profile = (d: string) => {
    const files = existsSync(d) ? readdirSync(d).filter((x) => x.startsWith('results-') && x.endsWith('.json')).sort().reverse() : [];
    for (const f of files) {
      const j = JSON.parse(readFileSync(join(d, f), 'utf8')) as Obj;
      if (get<Obj>(j, 'transitionProfile')) return get<Obj>(j, 'transitionProfile');
    }
    return undefined;
  };
  const describe = (tp: Obj | undefined) => {
    const rows = get<Obj[]>(tp, 'transition', 'rows') ?? [];
    const main = rows.find((r) => (get<number>(r, 'perTransition') ?? 0) >= 0.5);
    const reqs = Object.values(get<Record<string, number>>(main, 'requests') ?? {}).reduce((a, b) => a + b, 0);
    const submit = (get<Obj[]>(tp, 'submit', 'rows') ?? [])[0];
    const submitReqs = Object.values(get<Record<string, number>>(submit, 'requests') ?? {}).reduce((a, b) => a + b, 0);
    const txs = rows.reduce((a, r) => a + (get<number>(r, 'perTransition') ?? 0), 0);
    return `${txs.toFixed(2)} transactions and ${reqs} requests per one-lane transition (${String(get<string>(main, 'waveStructure'))}), ${submitReqs} requests per submit, ${(get<number>(tp, 'concurrent', 'stepsPerSettleTx') ?? NaN).toFixed(2)} steps per settlement transaction at concurrency 16`;
  };
  const [o, nw] = [profile(oldBench), profile(newBench)];
  if (!o || !nw) return [];
  return ['', `What a step asks of IndexedDB (transition profile of \`bench/run.ts\` in each tree, counted, so independent of the load): old ${describe(o)}; new ${describe(nw)}.`];
}

/** Bundle sizes of both trees (the newest size-*.json of each; `npx tsx bench/size.ts` in the old worktree too), when both exist. */
function sizeTable(oldDir: string, newBench: string): string[] {
  const newestSize = (d: string) => {
    const f = existsSync(d) ? readdirSync(d).filter((x) => x.startsWith('size-') && x.endsWith('.json')).sort().at(-1) : undefined;
    return f ? (JSON.parse(readFileSync(join(d, f), 'utf8')) as Obj) : undefined;
  };
  const o = newestSize(join(oldDir, '.bench'));
  const nw = newestSize(newBench);
  if (!o || !nw) return [];
  const gz = (j: Obj, name: string) => get<number>((get<Obj[]>(j, 'bundles') ?? []).find((b) => b['name'] === name), 'gzipBytes');
  const names = (get<Obj[]>(nw, 'bundles') ?? []).map((b) => String(b['name']));
  const commit = (j: Obj) => `${String(get<string>(j, 'meta', 'git', 'commit')).slice(0, 10)}${get<boolean>(j, 'meta', 'git', 'srcDirty') ? ' (src dirty)' : ''}`;
  return [
    '',
    `Bundle sizes (bench/size.ts in each tree; old ${commit(o)}, new ${commit(nw)}), min+gzip:`,
    '',
    table(
      ['bundle', 'old', 'new', 'change'],
      names.map((name) => {
        const [a, b] = [gz(o, name), gz(nw, name)];
        return [name, kb(a), kb(b), a && b ? `${b >= a ? '+' : ''}${kb(b - a)} (${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(0)}%)` : '–'];
      }),
    ),
  ];
}

function compareTable(file: string, j: Obj, notes = true): string[] {
  const out: string[] = [];
  const meta = j['meta'] as Obj;
  const loads = get<{ before: number; after: number }[]>(meta, 'load') ?? [];
  const all = loads.flatMap((l) => [l.before, l.after]);
  const pct = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;
  const fig = (v: number, kind: Row['kind']) => (kind === 'rate' ? v.toLocaleString('en-US', { maximumFractionDigits: 0 }) : `${v.toFixed(2)} ms`);
  out.push(
    `\`.bench/${file}\`: old = ${String(get<string>(meta, 'old', 'commit')).slice(0, 10)}, new = ${String(get<string>(meta, 'new', 'commit')).slice(0, 10)}${get<boolean>(meta, 'new', 'dirty') ? ' (with uncommitted changes)' : ''}; ${get<number>(meta, 'reps')} reps, ${get<number>(meta, 'durationMs')} ms per timed cell, ${get<number>(meta, 'cpus')} cores shared with other work: 1-minute load ${all.length ? `${Math.min(...all).toFixed(1)}–${Math.max(...all).toFixed(1)}` : '–'} during the run.`,
  );
  out.push('');
  const rows = get<Row[]>(j, 'rows') ?? [];
  out.push(
    table(
      ['figure', 'old', 'new', 'change', 'old ÷ raw', 'new ÷ raw', 'worse by (÷ raw)', 'per rep: median (min…max)'],
      rows.map((r) => {
        const isRaw = r.label.startsWith('raw IDB: 1 put / txn, ops');
        const worse = isRaw ? '' : r.worse > 0.05 ? `**${pct(r.worse)}**` : pct(r.worse);
        const paired = isRaw || !r.pairedWorse ? '' : `${pct(r.pairedWorse.median)} (${pct(r.pairedWorse.min)}…${pct(r.pairedWorse.max)})`;
        return [r.label, fig(r.old, r.kind), fig(r.new, r.kind), pct(r.change), r.oldRatio.toFixed(3), r.newRatio.toFixed(3), worse, paired];
      }),
    ),
  );
  if (notes) {
    out.push('');
    for (const note of get<string[]>(meta, 'notes') ?? []) out.push(`- ${note}`);
  }
  return out;
}
