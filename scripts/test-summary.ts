/**
 * Prints one closing line for the whole test run, summed over the Vitest JSON reports of each
 * project (node, chromium, e2e): "N passed, N failed, N skipped". CI reads that line.
 * Exits non-zero when any test failed or a report is missing.
 */
import { existsSync, readFileSync } from 'node:fs';

const reports = ['node', 'chromium', 'e2e'].map((p) => `.test-results/${p}.json`);
let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
for (const file of reports) {
  if (!existsSync(file)) {
    console.error(`missing test report ${file}`);
    missing++;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing > 0 || passed === 0 ? 1 : 0);
