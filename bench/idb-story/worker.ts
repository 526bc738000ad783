/**
 * The module SharedWorker every measured transaction runs in. One command at a time; each
 * cell opens a fresh database with its candidate, seeds it (untimed), runs the timed loop,
 * checks that every step committed, then closes and deletes the database.
 */
import { deleteDatabase, freshName, loopFigures, runLoop, sleep } from '../loop.ts';
import type { CellCommand as LoopCommand } from '../protocol.ts';
import { openPlain, putTx, rawPutCell } from '../raw-cells.ts';
import { timerStepMs } from '../stats.ts';
import { open as openDexieIdb } from './cand-dexie-idb.ts';
import { openCached as openDexieCached, open as openDexie } from './cand-dexie.ts';
import { open as openIdb } from './cand-idb.ts';
import { open as openRaw } from './cand-raw.ts';
import { open as openToday } from './cand-today.ts';
import type { OpenCandidate } from './candidate.ts';
import type { CandidateName, CellCommand, CellKind, CellResult, Command, HelloResult, Reply, SlicedCommand } from './protocol.ts';
import { countHistory, seed } from './seed.ts';
import { newLane } from './step.ts';

const OPEN: Record<CandidateName, OpenCandidate> = {
  today: openToday,
  'dexie-idb': openDexieIdb,
  dexie: openDexie,
  'dexie-cached': openDexieCached,
  idb: openIdb,
  raw: openRaw,
};

async function candidateCell(cmd: CellCommand, name: CandidateName): Promise<CellResult> {
  const dbName = freshName(`idbstory-${name}`);
  const c = await OPEN[name](dbName, () => undefined);
  try {
    const lanes = Array.from({ length: cmd.lanes }, (_, i) => newLane(i));
    await seed(c.idb, lanes);
    const loop = await runLoop(cmd as unknown as LoopCommand, (l) => c.step(lanes[l]!));
    const steps = lanes.reduce((s, l) => s + l.n, 0);
    const found = await countHistory(c.idb);
    if (found !== steps) throw new Error(`${name}: ${steps} steps ran but ${found} history records were committed`);
    return { cell: cmd.cell, lanes: cmd.lanes, ...loopFigures(loop), checkedSteps: found };
  } finally {
    c.close();
    await deleteDatabase(dbName);
  }
}

interface Subject {
  cell: CellKind;
  op: (lane: number) => Promise<void>;
  /** Steps found committed, checked against the steps run; null for raw-put. */
  check: () => Promise<number | null>;
  close: () => Promise<void>;
  ops: number;
  elapsedMs: number;
  samples: number[];
}

async function subject(cell: CellKind, lanes: number): Promise<Subject> {
  const dbName = freshName(`idbstory-${cell}`);
  const base = { cell, ops: 0, elapsedMs: 0, samples: [] as number[] };
  if (cell === 'raw-put') {
    const db = await openPlain(dbName);
    let next = 0;
    return { ...base, op: () => putTx(db, next++, 1), check: () => Promise.resolve(null), close: () => (db.close(), deleteDatabase(dbName)) };
  }
  const c = await OPEN[cell](dbName, () => undefined);
  const ls = Array.from({ length: lanes }, (_, i) => newLane(i));
  await seed(c.idb, ls);
  return {
    ...base,
    op: (l) => c.step(ls[l]!),
    check: async () => {
      const steps = ls.reduce((s, l) => s + l.n, 0);
      const found = await countHistory(c.idb);
      if (found !== steps) throw new Error(`${cell}: ${steps} steps ran but ${found} history records were committed`);
      return found;
    },
    close: () => (c.close(), deleteDatabase(dbName)),
  };
}

/** One slice: `lanes` lanes back to back until `ms` passed; ops started in the window finish and count. */
async function slice(s: Subject, lanes: number, ms: number): Promise<void> {
  const t0 = performance.now();
  const deadline = t0 + ms;
  const lane = async (n: number): Promise<void> => {
    while (performance.now() < deadline) {
      const a = performance.now();
      await s.op(n);
      s.samples.push(performance.now() - a);
      s.ops++;
    }
  };
  await Promise.all(Array.from({ length: lanes }, (_, n) => lane(n)));
  s.elapsedMs += performance.now() - t0;
}

async function slicedCells(cmd: SlicedCommand): Promise<CellResult[]> {
  const subjects: Subject[] = [];
  try {
    for (const cell of cmd.cells) subjects.push(await subject(cell, cmd.lanes));
    for (const s of subjects) for (let i = 0; i < cmd.warmupOps; i++) await s.op(i % cmd.lanes);
    await sleep(100);
    for (let round = 0; round < cmd.rounds; round++) {
      const shift = round % subjects.length;
      for (const s of [...subjects.slice(shift), ...subjects.slice(0, shift)]) await slice(s, cmd.lanes, cmd.sliceMs);
    }
    const out: CellResult[] = [];
    for (const s of subjects) {
      const loop = { ops: s.ops, elapsedMs: s.elapsedMs, samples: s.samples };
      out.push({ cell: s.cell, lanes: cmd.lanes, ...loopFigures(loop), checkedSteps: await s.check() });
    }
    return out;
  } finally {
    for (const s of subjects) await s.close();
  }
}

async function dispatch(cmd: Command): Promise<unknown> {
  if (cmd.kind === 'sliced') return slicedCells(cmd);
  if (cmd.kind === 'hello') {
    const hello: HelloResult = { userAgent: navigator.userAgent, crossOriginIsolated: globalThis.crossOriginIsolated, timerStepMs: timerStepMs() };
    return hello;
  }
  if (cmd.cell === 'raw-put') {
    const loop = await rawPutCell(cmd as unknown as LoopCommand, 1);
    return { cell: cmd.cell, lanes: cmd.lanes, ...loopFigures(loop), checkedSteps: null } satisfies CellResult;
  }
  return candidateCell(cmd, cmd.cell);
}

let chain: Promise<unknown> = Promise.resolve();

function serve(port: MessagePort): void {
  port.onmessage = (e: MessageEvent<{ id: number; cmd: Command }>) => {
    const { id, cmd } = e.data;
    chain = chain.then(async () => {
      let reply: Reply;
      try {
        reply = { id, ok: true, result: await dispatch(cmd) };
      } catch (err) {
        reply = { id, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err) };
      }
      port.postMessage(reply);
    });
  };
  port.start();
}

// DOM's lib types `self` as a Window; this file only ever runs as a SharedWorker.
const scope = self as unknown as { onconnect: ((e: MessageEvent) => void) | null };
scope.onconnect = (e) => {
  const port = e.ports[0];
  if (port) serve(port);
};
