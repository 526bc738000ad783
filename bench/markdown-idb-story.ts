/**
 * The BENCHMARKS.md section on the store's IndexedDB layer, from bench/idb-story/results.json
 * (written by `npx tsx bench/idb-story/run.ts`; the method is in bench/idb-story/README.md).
 * Every number is read from that file; the decision paragraph interpolates them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { get, kb, ms, n, table, type Obj } from './markdown-format.ts';

export const IDB_STORY_HEADING = '## The IndexedDB layer: Dexie, idb or none';

const LABELS: Record<string, string> = {
  'raw-put': 'raw put (1 put per transaction)',
  today: 'before: Dexie schema, raw requests (src/store/tx.ts)',
  'dexie-idb': '(a) Dexie schema, idb requests',
  dexie: '(b) Dexie throughout',
  'dexie-cached': "(b') Dexie throughout, query cache on",
  idb: '(c) idb throughout',
  raw: '(d) no library: version list + own open, src/store/tx.ts (chosen)',
  'worker-app (today, Dexie bundled)': "before: an app's whole worker (`serve`), Dexie bundled",
};
const ORDER = ['raw-put', 'today', 'dexie-idb', 'dexie', 'dexie-cached', 'idb', 'raw'];

interface Cpu {
  candidate: string;
  lanes: number;
  cpuUsPerTx: number;
  overRawUs: number;
}
interface Size {
  entry: string;
  minBytes: number;
  gzipBytes: number;
  library: { name: string; gzipMarginalBytes: number } | null;
}

export function idbStorySection(root: string): string[] {
  const file = 'bench/idb-story/results.json';
  const r = JSON.parse(readFileSync(join(root, file), 'utf8')) as Obj;
  const meta = r['meta'] as Obj;
  const sliced = (c: string, lanes: number, k: string) => get<number>(r, 'sliced', `${c}@${lanes}`, k);
  const cpu = (get<Cpu[]>(r, 'cpu') ?? []).filter((c) => c.lanes === 1 || c.lanes === 16);
  const over = (c: string, lanes: number) => cpu.find((e) => e.candidate === c && e.lanes === lanes)?.overRawUs;
  const sizes = get<Size[]>(r, 'sizes') ?? [];
  const lib = (entry: string) => sizes.find((s) => s.entry === entry)?.library?.gzipMarginalBytes;
  const range = (f: (lanes: number) => number | undefined, fmt: (v: number | undefined) => string) => {
    const [a, b] = [f(1), f(16)];
    return a === undefined || b === undefined ? '–' : `${fmt(Math.min(a, b))}–${fmt(Math.max(a, b))}`;
  };
  const ratio = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(2));
  const load = get<{ before: number; after: number }>(meta, 'loadAverage1m');
  const versions = get<Record<string, string>>(meta, 'versions') ?? {};

  const out: string[] = [IDB_STORY_HEADING, ''];
  out.push(
    `\`${file}\` (\`npx tsx bench/idb-story/run.ts\`, method in bench/idb-story/README.md): started ${get<string>(meta, 'startedAt')}, Chromium ${get<string>(meta, 'chromium', 'version')}, ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}; 1-minute load ${load ? `${load.before.toFixed(1)} → ${load.after.toFixed(1)}` : '–'} on ${get<number>(meta, 'cpus')} cores (a noisy run: every figure is a median, and candidates shared the machine alike).`,
  );
  for (const note of get<string[]>(meta, 'notes') ?? []) out.push(`- ${note}`);
  out.push('');
  out.push(
    `One step-shaped transaction in a module SharedWorker, candidates time-sliced (${get<number>(meta, 'config', 'sliceMs')} ms turns, ${get<number>(meta, 'config', 'reps')} reps; ÷ before is the median of per-rep ratios):`,
  );
  out.push('');
  out.push(
    table(
      ['candidate', '1 lane tx/s', 'p50', '÷ before', '16 lanes tx/s', 'p50', '÷ before'],
      ORDER.map((c) => [
        LABELS[c] ?? c,
        n(sliced(c, 1, 'txPerSec')),
        ms(sliced(c, 1, 'p50Ms')),
        c === 'raw-put' ? '' : ratio(sliced(c, 1, 'vsToday')),
        n(sliced(c, 16, 'txPerSec')),
        ms(sliced(c, 16, 'p50Ms')),
        c === 'raw-put' ? '' : ratio(sliced(c, 16, 'vsToday')),
      ]),
    ),
  );
  out.push('');
  out.push(`CPU per transaction of each layer, Node + fake-indexeddb (median of ${get<number>(meta, 'config', 'cpuReps')} interleaved reps of ${get<number>(meta, 'config', 'cpuTxs')} transactions; "over (d)" is the layer's own cost):`);
  out.push('');
  const cpuRow = (c: string) => {
    const at = (lanes: number) => cpu.find((e) => e.candidate === c && e.lanes === lanes);
    return [LABELS[c] ?? c, `${n(at(1)?.cpuUsPerTx)} µs`, `+${n(at(1)?.overRawUs)} µs`, `${n(at(16)?.cpuUsPerTx)} µs`, `+${n(at(16)?.overRawUs)} µs`];
  };
  out.push(table(['candidate', '1 lane CPU', 'over (d)', '16 lanes CPU', 'over (d)'], ORDER.filter((c) => c !== 'raw-put').map(cpuRow)));
  out.push('');
  out.push('Bytes: a worker entry that opens the schema and runs the transaction, one production Vite build each, the library bundled:');
  out.push('');
  out.push(
    table(
      ['entry', 'min', 'min+gzip', "library's share of the gzip"],
      sizes.map((s) => [LABELS[s.entry] ?? s.entry, kb(s.minBytes), kb(s.gzipBytes), s.library ? `${s.library.name} ${kb(s.library.gzipMarginalBytes)}` : 'none']),
    ),
  );
  out.push('');
  out.push(
    `**Decision: (d), no library.** Dexie throughout ran ${range((l) => sliced('dexie', l, 'vsToday'), ratio)}× the step transactions of the Dexie-schema store and cost ${range((l) => over('dexie', l), (v) => n(v))} µs more CPU per transaction, for the same ${kb(lib('dexie'))} of gzip. idb throughout kept pace in Chromium (${range((l) => sliced('idb', l, 'vsToday'), ratio)}× before) but added ${range((l) => over('idb', l), (v) => n(v))} µs of CPU per transaction and ${kb(lib('idb'))} of gzip, to replace a few lines of hand-written request promises; the store's \`Tx\` wrapper stays either way (fire-and-forget writes, the write observer, the half-commit detection, named errors). Keeping Dexie only to declare the schema cost ${kb(lib('today'))} gzip in the worker for what a version list (src/store/db.ts) and an open function (src/store/open.ts) do. "Before" and (d) run the identical transaction code, so their gap (${range((l) => sliced('raw', l, 'vsToday'), ratio)}×) is this run's noise floor.`,
  );
  return out;
}
