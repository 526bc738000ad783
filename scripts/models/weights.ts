/**
 * Seeded weights and the small dense algebra of the JS reference forward passes. Every weight is
 * rounded to float32 when drawn, so the float64 reference computes on exactly the numbers ONNX
 * Runtime reads from the file.
 */

/** mulberry32: a tiny seeded PRNG, the same sequence on every platform. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A row-major float32 matrix. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export function matrix(rows: number, cols: number, fill: (r: number, c: number) => number = () => 0): Matrix {
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = fill(r, c);
  return { rows, cols, data };
}

/** Uniform in [-scale, scale), drawn row by row. */
export function uniform(rand: () => number, rows: number, cols: number, scale: number): Matrix {
  return matrix(rows, cols, () => (rand() * 2 - 1) * scale);
}

export function row(m: Matrix, r: number): number[] {
  return Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols));
}

/** v (length m.rows) times m: a vector of length m.cols, in float64. */
export function vecMat(v: number[], m: Matrix): number[] {
  const out = new Array<number>(m.cols).fill(0);
  for (let r = 0; r < m.rows; r++) {
    const x = v[r]!;
    if (x === 0) continue;
    for (let c = 0; c < m.cols; c++) out[c]! += x * m.data[r * m.cols + c]!;
  }
  return out;
}

export function add(a: number[], b: number[]): number[] {
  return a.map((x, i) => x + b[i]!);
}

export function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function normalize(v: number[]): number[] {
  const n = Math.sqrt(dot(v, v));
  return v.map((x) => x / Math.max(n, 1e-12));
}

export function softmax(v: number[]): number[] {
  const max = Math.max(...v);
  const e = v.map((x) => Math.exp(x - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}
