/**
 * A heap snapshot boiled down to counts and sizes per constructor, for bench/heap.ts: when the
 * worker's heap grows, diffing two of these names what piles up (e.g. `Map` entries, closures of
 * one function, strings). Taken over a DevTools session (`HeapProfiler.takeHeapSnapshot`, whose
 * JSON arrives in `HeapProfiler.addHeapSnapshotChunk` events). Node only.
 */

/** The two calls a snapshot needs: a WorkerSession, or a page's CDPSession wrapped alike. */
export interface SnapshotTarget {
  send(method: string, params?: object): Promise<unknown>;
  on(method: string, listener: (params: unknown) => void): () => void;
}

export interface ClassRow {
  /** `<node type>:<name>`: e.g. `object:Map`, `closure:onMessage`, `string`, `array:(object elements)`. */
  key: string;
  count: number;
  selfBytes: number;
}

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Takes a snapshot (after a GC, as V8 always does) and summarizes it by constructor. */
export async function snapshotSummary(s: SnapshotTarget): Promise<Map<string, ClassRow>> {
  const chunks: string[] = [];
  const off = s.on('HeapProfiler.addHeapSnapshotChunk', (p) => chunks.push((p as { chunk: string }).chunk));
  try {
    await s.send('HeapProfiler.enable');
    await s.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false });
  } finally {
    off();
  }
  const snap = JSON.parse(chunks.join('')) as RawSnapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const rows = new Map<string, ClassRow>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + iType]!] ?? '?';
    // Strings are keyed by type only: their "name" is their content.
    const name = type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number' ? '' : (snap.strings[snap.nodes[i + iName]!] ?? '?');
    const key = name ? `${type}:${name.slice(0, 80)}` : type;
    const row = rows.get(key) ?? { key, count: 0, selfBytes: 0 };
    row.count++;
    row.selfBytes += snap.nodes[i + iSize]!;
    rows.set(key, row);
  }
  return rows;
}

/** Rows whose self size grew the most from `a` to `b` (with count growth). */
export function diff(a: Map<string, ClassRow>, b: Map<string, ClassRow>, top = 20): { key: string; countDelta: number; bytesDelta: number; countAfter: number }[] {
  return [...b.values()]
    .map((r) => ({ key: r.key, countDelta: r.count - (a.get(r.key)?.count ?? 0), bytesDelta: r.selfBytes - (a.get(r.key)?.selfBytes ?? 0), countAfter: r.count }))
    .sort((x, y) => y.bytesDelta - x.bytesDelta)
    .slice(0, top);
}
