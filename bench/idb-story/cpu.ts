/**
 * The JavaScript cost of each candidate, apart from the storage engine and machine load: the
 * same step transaction run in Node on fake-indexeddb, timed by the process's CPU time
 * (`process.cpuUsage`, user + system), which waiting for a busy machine's cores does not
 * inflate the way it inflates wall time. The storage engine's own cost (fake-indexeddb, pure
 * JavaScript) is the same for every candidate, so the differences between candidates are what
 * their layers cost per transaction. The browser numbers (run.ts) remain the ones that count
 * for the real engine; this is the tie-breaker on a noisy machine. Node only.
 */
import 'fake-indexeddb/auto';
import { open as openDexieIdb } from './cand-dexie-idb.ts';
import { openCached as openDexieCached, open as openDexie } from './cand-dexie.ts';
import { open as openIdb } from './cand-idb.ts';
import { open as openRaw } from './cand-raw.ts';
import { open as openToday } from './cand-today.ts';
import type { OpenCandidate } from './candidate.ts';
import type { CandidateName } from './protocol.ts';
import { countHistory, seed } from './seed.ts';
import { newLane } from './step.ts';
import { median } from '../stats.ts';

const OPEN: Record<CandidateName, OpenCandidate> = {
  today: openToday,
  'dexie-idb': openDexieIdb,
  dexie: openDexie,
  'dexie-cached': openDexieCached,
  idb: openIdb,
  raw: openRaw,
};

export interface CpuRow {
  candidate: CandidateName;
  lanes: number;
  /** Median over reps of CPU µs (user + system) per committed transaction. */
  cpuUsPerTx: number;
  /** Median over reps of wall µs per transaction (single-threaded here: close to CPU on an idle core). */
  wallUsPerTx: number;
  /** cpuUsPerTx minus the raw candidate's, medians of per-rep differences: the layer's own cost. */
  overRawUs: number;
  reps: { cpuUsPerTx: number; wallUsPerTx: number }[];
}

async function once(name: CandidateName, lanes: number, txs: number, warmup: number): Promise<{ cpuUsPerTx: number; wallUsPerTx: number }> {
  const dbName = `cpu-${name}-${Math.random().toString(36).slice(2)}`;
  const c = await OPEN[name](dbName, () => undefined);
  try {
    const ls = Array.from({ length: lanes }, (_, i) => newLane(i));
    await seed(c.idb, ls);
    for (let i = 0; i < warmup; i++) await c.step(ls[i % lanes]!);
    let started = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      ls.map(async (lane) => {
        while (started < txs) {
          started++;
          await c.step(lane);
        }
      }),
    );
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const steps = ls.reduce((s, l) => s + l.n, 0);
    if ((await countHistory(c.idb)) !== steps) throw new Error(`${name}: history records do not match the steps run`);
    return { cpuUsPerTx: (cpu.user + cpu.system) / started, wallUsPerTx: (wall * 1000) / started };
  } finally {
    c.close();
    indexedDB.deleteDatabase(dbName);
  }
}

/**
 * Every candidate at each lane count, reps interleaved and rotated, after one untimed pass over
 * all of them (the first candidates run would otherwise pay for JIT-compiling fake-indexeddb).
 */
export async function measureCpu(names: readonly CandidateName[], lanesList: readonly number[], reps: number, txs = 800, warmup = 100): Promise<CpuRow[]> {
  for (const lanes of lanesList) for (const name of names) await once(name, lanes, txs, warmup);
  const runs = new Map<string, { cpuUsPerTx: number; wallUsPerTx: number }[]>();
  for (let rep = 0; rep < reps; rep++) {
    for (const lanes of lanesList) {
      const shift = rep % names.length;
      for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
        const key = `${name}@${lanes}`;
        runs.set(key, [...(runs.get(key) ?? []), await once(name, lanes, txs, warmup)]);
        process.stderr.write(`\r[idb-story cpu] rep ${rep + 1}/${reps} ${key.padEnd(16)}     `);
      }
    }
  }
  process.stderr.write('\n');
  const round = (x: number) => Math.round(x * 10) / 10;
  return lanesList.flatMap((lanes) =>
    names.map((candidate) => {
      const rs = runs.get(`${candidate}@${lanes}`)!;
      const raw = runs.get(`raw@${lanes}`);
      return {
        candidate,
        lanes,
        cpuUsPerTx: round(median(rs.map((r) => r.cpuUsPerTx))),
        wallUsPerTx: round(median(rs.map((r) => r.wallUsPerTx))),
        overRawUs: raw ? round(median(rs.map((r, i) => r.cpuUsPerTx - raw[i]!.cpuUsPerTx))) : NaN,
        reps: rs.map((r) => ({ cpuUsPerTx: round(r.cpuUsPerTx), wallUsPerTx: round(r.wallUsPerTx) })),
      };
    }),
  );
}
