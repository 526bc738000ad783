/** Rewrites one `## ` section of BENCHMARKS.md in place, for `bench/markdown.ts --only <part>`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Replaces the section that starts with `heading` (up to the next `## ` heading) by `lines`;
 * when the document has no such section, inserts it before the heading `before`.
 * @throws when neither heading is in the document
 */
export function rewriteSection(root: string, heading: string, lines: string[], before: string): void {
  const path = join(root, 'BENCHMARKS.md');
  const doc = readFileSync(path, 'utf8');
  const section = `${lines.join('\n')}\n\n`;
  const start = doc.indexOf(`${heading}\n`);
  let next: string;
  if (start >= 0) {
    const end = doc.indexOf('\n## ', start + heading.length);
    next = doc.slice(0, start) + section + (end >= 0 ? doc.slice(end + 1) : '');
  } else {
    const at = doc.indexOf(`${before}\n`);
    if (at < 0) throw new Error(`BENCHMARKS.md has no "${before}" section to insert before`);
    next = doc.slice(0, at) + section + doc.slice(at);
  }
  writeFileSync(path, next);
}
