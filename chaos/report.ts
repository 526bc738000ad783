/** Renders a chaos report as plain-text tables (what `npm run chaos` and the short e2e print). */
import type { ChaosReport, PhaseReport } from './driver.ts';
import { DECKS, FAULT_KINDS, FAULT_LABELS, type FaultKind } from './faults.ts';

export function renderReport(report: ChaosReport): string {
  const out: string[] = [];
  const runs = report.phases.reduce((n, p) => n + p.runs, 0);
  out.push(`Stepwise chaos: seed ${report.seed}, ${report.phases.length} phase(s), ${runs} runs, ${(report.durationMs / 1000).toFixed(0)} s in all`);
  for (const p of report.phases) out.push('', ...renderPhase(p));
  out.push('');
  out.push(report.violations.length === 0 ? 'RESULT: PASS, no violation' : `RESULT: FAIL, ${report.violations.length} violation(s):`);
  for (const v of report.violations) out.push(`  - ${v}`);
  return out.join('\n');
}

function renderPhase(p: PhaseReport): string[] {
  const out: string[] = [];
  out.push(
    `== ${p.mode} (${MODES[p.mode]}): ` +
      `${p.runs} runs × ${p.steps} steps, fault window ${(p.windowMs / 1000).toFixed(1)} s, settled in ${(p.settleMs / 1000).toFixed(1)} s ==`,
  );
  out.push('');
  out.push(
    ...table(
      ['check', 'ok', 'count', 'detail'],
      p.verification.rows.map((r) => [r.check, r.ok ? 'yes' : 'NO', r.count, r.detail]),
    ),
  );
  out.push('');
  const faults = FAULT_KINDS.filter((k) => p.faults[k] > 0 || relevant(p, k));
  const total = faults.reduce((n, k) => n + p.faults[k], 0);
  out.push(...table(['fault', 'injected', 'what'], [...faults.map((k) => [k, String(p.faults[k]), FAULT_LABELS[k]]), ['total', String(total), '']]));
  if (p.faultErrors.length) {
    out.push('', `fault actions that failed (not verdicts): ${p.faultErrors.length}`);
    for (const e of p.faultErrors.slice(0, 10)) out.push(`  - ${e}`);
  }
  out.push('');
  const figures: [string, string][] = [
    ['worker instances started', String(p.workerInstances)],
    ['submissions (calls / retried tries / new / existing / known)', `${p.submit.calls} / ${p.submit.retries} / ${p.submit.new} / ${p.submit.existing} / ${p.submit.known}`],
    ['ledger requests recorded / connections cut offline', `${p.ledger.requests} / ${p.ledger.cutConnections}`],
    ...Object.entries(p.verification.figures).map(([k, v]): [string, string] => [k, String(v)]),
  ];
  out.push(...table(['figure', 'value'], figures));
  if (p.verification.notes.length) {
    out.push('', 'notes:');
    for (const n of p.verification.notes) out.push(`  - ${n}`);
  }
  if (p.profileDir) out.push('', `profile kept at ${p.profileDir}`);
  return out;
}

const MODES: Record<PhaseReport['mode'], string> = {
  shared: 'one SharedWorker for every tab',
  fallback: 'no SharedWorker: a dedicated worker per tab, executor elected by lock',
  mixed: 'tabs with and without extendedLifetime: two SharedWorkers, executor elected by lock',
  deploy: 'two builds side by side on one database, a workflow only the new one knows, the executor role passing between them',
  slowHook: 'terminal hooks slower than the delivery lease',
};

/** Kinds the mode's deck deals (a crash counts as crashTab when no worker died; secondTab may close a tab). */
function relevant(p: PhaseReport, k: FaultKind): boolean {
  const deck = DECKS[p.mode];
  if (k === 'crashTab') return deck.crashCreator !== undefined;
  if (k === 'closeTab') return deck.secondTab !== undefined;
  return deck[k] !== undefined;
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}
