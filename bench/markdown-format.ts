/** Number formatting and table helpers shared by the generators of BENCHMARKS.md (bench/markdown.ts). */
export type Obj = Record<string, unknown>;

/** Reads a nested field: get(o, 'a', 'b') = o.a.b, or undefined. */
export function get<T>(o: unknown, ...path: string[]): T | undefined {
  let x: unknown = o;
  for (const k of path) {
    if (typeof x !== 'object' || x === null) return undefined;
    x = (x as Obj)[k];
  }
  return x as T | undefined;
}

export const n = (v: number | undefined, digits = 0) => (v === undefined || !Number.isFinite(v) ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
export const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(v < 10 ? 2 : 1)} ms`);
export const x = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(v < 10 ? 2 : 1)}×`);
export const kb = (bytes: number | undefined) => (bytes === undefined ? '–' : `${(bytes / 1024).toFixed(2)} KB`);
export const mb = (bytes: number | undefined) => (bytes === undefined ? '–' : `${(bytes / 1024 / 1024).toFixed(2)} MB`);
export const pct = (ratio: number | undefined) => (ratio === undefined || !Number.isFinite(ratio) ? '–' : `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`);
export const met = (ok: boolean | undefined) => (ok === undefined ? '–' : ok ? 'met' : '**missed**');

export function table(head: string[], rows: (string | number)[][]): string {
  const line = (r: (string | number)[]) => `| ${r.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
