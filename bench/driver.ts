/** Node side of every benchmark: a command to the page is bounded in time (a hung page must not hang the run), and results land in .bench/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Resolves as `work` does, or rejects once `timeoutMs` passed without an answer. */
export async function within<T>(work: Promise<T>, timeoutMs: number, what: unknown): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply to ${JSON.stringify(what)} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Writes one part's results to `.bench/<prefix>-<start time>.json` (what bench/markdown.ts reads).
 * @returns the file's path
 */
export function writeResults(prefix: string, started: Date, output: unknown): string {
  const dir = join(resolve(import.meta.dirname, '..'), '.bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${prefix}-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  return file;
}
