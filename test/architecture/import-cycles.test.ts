/**
 * No module of `src/` reaches itself through its imports, type-only imports included. The lint
 * rule (`import-x/no-cycle`) guards the imports that exist at run time; this also counts the
 * ones erased at build time, because a cycle through types still hides which of two concepts is
 * the lower layer.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '../../src');
const SPECIFIER = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The import graph of `files`: file -> the files of `files` it imports. */
function importGraph(files: Map<string, string>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [file, text] of files) {
    const deps = new Set<string>();
    for (const m of text.matchAll(SPECIFIER)) {
      const target = normalize(join(dirname(file), m[1] ?? m[2]!));
      if (files.has(target)) deps.add(target);
    }
    graph.set(file, [...deps]);
  }
  return graph;
}

/** The cycles of `graph`: its strongly connected components of more than one module (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) out.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('import cycles', () => {
  it('finds a cycle made only of type imports', () => {
    const files = new Map([
      ['/s/a.ts', "import type { B } from './b.ts';\nexport type A = B;"],
      ['/s/b.ts', "import { c } from './c.ts';\nexport type B = string;"],
      ['/s/c.ts', "export type { A } from './a.ts';\nexport const c = 1;"],
    ]);
    expect(cycles(importGraph(files))).toEqual([['/s/a.ts', '/s/b.ts', '/s/c.ts']]);
  });

  it('src has no import cycles, type-only imports included', () => {
    const files = new Map(sources(SRC).map((f) => [f, readFileSync(f, 'utf8')] as const));
    const found = cycles(importGraph(files)).map((c) => c.map((f) => relative(SRC, f)));
    expect(found).toEqual([]);
  });
});
