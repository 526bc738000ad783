/**
 * The hand-off code (runtime/handoff-code.ts and what it imports) is a chunk the worker loads
 * with `import()` when a run is handed off, so an app that never hands off never fetches it. A
 * single static import of one of its modules from anything the worker entry reaches would pull
 * it back into every worker: the bundler would not complain, only the size bench would show it.
 * Type-only imports are erased and do not count; `import()` does not either.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '../../src');
/** `import … from './x'`, `export … from './x'` and `import './x'`, but not `import type` / `export type`. */
const STATIC = /(?:^|\n)\s*(?:(?:import|export)\s(?!type\s)[^;]*?from\s+|import\s+)['"](\.[^'"]+)['"]/g;
const LAZY = ['runtime/handoff-code.ts', 'runtime/handoff.ts', 'runtime/remote-poller.ts', 'runtime/remote-landing.ts', 'runtime/remote-forward.ts', 'runtime/gateway-client.ts'];

/** Every file of src/ that `entry` reaches through imports that stay at run time. */
function reached(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(join(SRC, file), 'utf8').matchAll(STATIC)) {
      const target = normalize(join(dirname(file), m[1]!));
      if (target.endsWith('.ts')) visit(target);
    }
  };
  visit(entry);
  return seen;
}

describe('the hand-off code', () => {
  it("stays out of the worker entry's static imports: it is loaded only when a run is handed off", () => {
    const worker = reached('worker.ts');
    expect(worker.has('runtime/runtime.ts')).toBe(true);
    expect(worker.has('runtime/handoff-check.ts')).toBe(true);
    expect(LAZY.filter((f) => worker.has(f))).toEqual([]);
  });

  it('is one chunk: the lazily loaded module reaches every hand-off module', () => {
    const lazy = reached('runtime/handoff-code.ts');
    expect(LAZY.filter((f) => !lazy.has(f))).toEqual([]);
  });
});
