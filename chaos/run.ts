/**
 * `npm run chaos`: the chaos workload with its default size, in real headless Chromium.
 *
 * Phase 1 (shared): 200 runs × 10 steps under 90 s of faults (reloads, close-all/reopen, crash
 * of the worker's creator tab, SIGKILL + relaunch on the same profile, extra tabs, offline).
 * Phase 2 (fallback, SharedWorker removed): 50 runs × 10 steps under 45 s of faults (the
 * executor's tab killed, reloads, extra tabs, offline, SIGKILL, close-all). Each step's side
 * effect goes to a ledger server on 127.0.0.1; afterwards the ledger, an IndexedDB dump and the
 * runs' results are checked and printed as tables. Exits 1 on any violation.
 * Phase 3 (deploy): 60 runs × 10 steps, two builds of the worker side by side on one database
 * (the new one registers a workflow the old one lacks, and removed one the old one has), under
 * 60 s of deploy faults (every tab of one build closed mid-run and reopened, reloads, tabs of
 * either build, a crash, close-all, SIGKILL). Phase 4 (slow hooks): 60 runs × 3 steps whose
 * terminal hook works 1.5 to 2.5 times the workers' 1 s lease, under 45 s of reloads, crashes,
 * close-all and SIGKILL. Every phase checks that no two calls of the hook for one run overlap.
 *
 * Options: --seed N (random by default; printed, replays the fault schedule), --runs N,
 * --seconds S (0 runs or 0 seconds skips a phase), --fallback-runs N, --fallback-seconds S, --mixed-runs N and
 * --mixed-seconds S (an optional phase, off by default: tabs with and without
 * extendedLifetime, see chaos/driver.ts), --deploy-runs N, --deploy-seconds S,
 * --slow-hook-runs N, --slow-hook-seconds S, --slow-hook-steps N (3), --slow-hook-lease-ms N
 * (1000), --hook-ms MIN,MAX (the slow hook's work; default 1.5 to 2.5 leases), --steps N,
 * --step-ms MIN,MAX (100,500: simulated work per step), --gap-ms N (60: at most between an
 * effect and its memo write), --fault-gap-ms MIN,MAX (800,3000: pause between faults),
 * --offline-ms MIN,MAX (800,3000), --lease-ms N (the workers' delivery lease; default the runtime's
 * 30 s: with a lease shorter than the offline periods, parked deliveries expire and are reaped), --dev-port P (27610), --ledger-port P (27611),
 * --keep-profiles, --json FILE (the full report), --app-path P (serve chaos/ and src/ from the
 * repository's subdirectory P, e.g. /.e2e-profiles/patched: a patched copy, to watch a check
 * catch a defect).
 * Chromium comes from CHROME_PATH or /usr/bin/chromium.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runChaos, type PhaseOptions } from './driver.ts';
import { renderReport } from './report.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    runs: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '90' },
    'fallback-runs': { type: 'string', default: '50' },
    'fallback-seconds': { type: 'string', default: '45' },
    'mixed-runs': { type: 'string', default: '0' },
    'mixed-seconds': { type: 'string', default: '45' },
    'deploy-runs': { type: 'string', default: '60' },
    'deploy-seconds': { type: 'string', default: '60' },
    'slow-hook-runs': { type: 'string', default: '60' },
    'slow-hook-seconds': { type: 'string', default: '45' },
    'slow-hook-steps': { type: 'string', default: '3' },
    'slow-hook-lease-ms': { type: 'string', default: '1000' },
    'hook-ms': { type: 'string' },
    'app-path': { type: 'string' },
    steps: { type: 'string', default: '10' },
    'dev-port': { type: 'string', default: '27610' },
    'ledger-port': { type: 'string', default: '27611' },
    'step-ms': { type: 'string', default: '100,500' },
    'gap-ms': { type: 'string', default: '60' },
    'fault-gap-ms': { type: 'string', default: '800,3000' },
    'offline-ms': { type: 'string', default: '800,3000' },
    'lease-ms': { type: 'string' },
    'keep-profiles': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

const int = (name: keyof typeof values): number => {
  const v = Number(values[name]);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${name} must be an integer >= 0`);
  return v;
};

const range = (name: 'step-ms' | 'fault-gap-ms' | 'offline-ms' | 'hook-ms'): [number, number] => {
  const m = /^(\d+),(\d+)$/.exec(values[name] ?? '');
  if (!m || Number(m[1]) > Number(m[2])) throw new Error(`--${name} must be MIN,MAX in ms`);
  return [Number(m[1]), Number(m[2])];
};

const seed = values.seed !== undefined ? int('seed') : Math.floor(Math.random() * 2 ** 31);
const phases: PhaseOptions[] = [];
if (int('seconds') > 0 && int('runs') > 0) phases.push({ mode: 'shared', runs: int('runs'), seconds: int('seconds') });
if (int('fallback-seconds') > 0 && int('fallback-runs') > 0) phases.push({ mode: 'fallback', runs: int('fallback-runs'), seconds: int('fallback-seconds') });
if (int('mixed-seconds') > 0 && int('mixed-runs') > 0) phases.push({ mode: 'mixed', runs: int('mixed-runs'), seconds: int('mixed-seconds') });
if (int('deploy-seconds') > 0 && int('deploy-runs') > 0) phases.push({ mode: 'deploy', runs: int('deploy-runs'), seconds: int('deploy-seconds') });
if (int('slow-hook-seconds') > 0 && int('slow-hook-runs') > 0) phases.push({ mode: 'slowHook', runs: int('slow-hook-runs'), seconds: int('slow-hook-seconds'), steps: int('slow-hook-steps') });
if (phases.length === 0) throw new Error('every phase is off (0 runs or 0 seconds)');

// An interrupted run must not leave browsers behind: exiting runs the launcher's kill hook.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

console.log(`chaos: seed ${seed} (replay the fault schedule with --seed ${seed})`);
const report = await runChaos({
  seed,
  devPort: int('dev-port'),
  ledgerPort: int('ledger-port'),
  steps: int('steps'),
  stepMs: range('step-ms'),
  gapMaxMs: int('gap-ms'),
  faultGapMs: range('fault-gap-ms'),
  offlineMs: range('offline-ms'),
  ...(values['lease-ms'] !== undefined ? { leaseMs: int('lease-ms') } : {}),
  slowHookLeaseMs: int('slow-hook-lease-ms'),
  ...(values['hook-ms'] !== undefined ? { hookMs: range('hook-ms') } : {}),
  ...(values['app-path'] !== undefined ? { appPath: values['app-path'] } : {}),
  phases,
  keepProfiles: values['keep-profiles'],
});
console.log('');
console.log(renderReport(report));
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
process.exit(report.violations.length === 0 ? 0 : 1);
