/**
 * Finds script files named by `new URL('<file>', import.meta.url)` in a module's source, the
 * form a bundler copies as a file instead of bundling. A scan of the text, not a parse: it
 * skips the forms bundlers do bundle (the URL written straight into `new Worker(…)` or
 * `new SharedWorker(…)`) and lines that are comments, which covers the code people write.
 */

/** `new URL('…', import.meta.url)` with a quoted script path; group 2 is the path. */
const SCRIPT_URL = /new\s+URL\(\s*(['"`])([^'"`\n]+?\.(?:[cm]?[jt]s|[jt]sx))\1\s*,\s*import\.meta\.url\s*\)/g;
/** What precedes a URL that the bundler turns into a worker chunk itself. */
const WORKER_CONSTRUCTOR = /new\s+(?:Shared)?Worker\(\s*$/;
const COMMENT_LINE = /^\s*(?:\/\/|\/?\*)/;

/** The paths, in source order, e.g. `['./worker.ts']`. Empty when there is none. */
export function findScriptUrls(code: string): string[] {
  const found: string[] = [];
  for (const m of code.matchAll(SCRIPT_URL)) {
    const before = code.slice(0, m.index);
    if (WORKER_CONSTRUCTOR.test(before.slice(-64))) continue;
    const line = before.slice(before.lastIndexOf('\n') + 1);
    if (COMMENT_LINE.test(line)) continue;
    found.push(m[2]!);
  }
  return found;
}
