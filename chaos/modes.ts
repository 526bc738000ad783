/**
 * The chaos workload's options and report, and what sets each phase mode apart (its worker
 * parameters, its tabs, its runs' workflows): see chaos/driver.ts for the modes.
 */
import { deployTab, deployWorkflow } from './deploy-phase.ts';
import type { FaultKind, PhaseMode } from './faults.ts';
import type { ChaosWorkflow } from './protocol.ts';
import { SLOW_HOOK_LEASE_MS, slowHookParams } from './slow-hook-phase.ts';
import type { Build, TabSpec } from './tabs.ts';
import type { Rng } from './util.ts';
import type { Verification } from './verify.ts';

export interface PhaseOptions {
  mode: PhaseMode;
  runs: number;
  /** The fault window, in seconds (faults stop after it, once every kind was injected). */
  seconds: number;
  /** Steps per run. @default ChaosOptions.steps (slowHook: 3) */
  steps?: number;
  /** Only these kinds of the mode's deck (a short run that covers the others elsewhere). @default the whole deck */
  faults?: FaultKind[];
}

export interface ChaosOptions {
  seed: number;
  /** The dev server's port (fixed: IndexedDB is per origin, and a relaunch must find its data). */
  devPort: number;
  ledgerPort: number;
  phases: PhaseOptions[];
  /** @default 10 */
  steps?: number;
  /** Simulated work before each effect, ms. @default [100, 500] */
  stepMs?: [number, number];
  /** At most this many ms between an effect's answer and its memo write. @default 60 */
  gapMaxMs?: number;
  /** The delivery lease of the workers, ms (shorter than an offline period: parked steps lose it). Not the slowHook phase's. @default the runtime's 30000 */
  leaseMs?: number;
  /** The slowHook phase's delivery lease, ms. @default SLOW_HOOK_LEASE_MS (1000) */
  slowHookLeaseMs?: number;
  /** The slowHook phase: how long the hook works, ms. @default 1.5 to 2.5 leases */
  hookMs?: [number, number];
  /** Pause between two faults, ms. @default [800, 3000] */
  faultGapMs?: [number, number];
  /** How long an offline period lasts, ms. @default [800, 3000] */
  offlineMs?: [number, number];
  /** Once the window is over: how long the runs may take to finish. @default 180000 */
  settleTimeoutMs?: number;
  /**
   * The URL path under the repository root that holds the workload's chaos/ and src/, e.g.
   * `/.e2e-profiles/patched` for a patched copy of both (to see a check fail without a fix).
   * @default '' (the repository itself)
   */
  appPath?: string;
  /** Keep the browser profiles (they are kept anyway when a phase finds a violation). */
  keepProfiles?: boolean;
  log?: (line: string) => void;
}

export interface PhaseReport {
  mode: PhaseMode;
  db: string;
  runs: number;
  steps: number;
  windowMs: number;
  settleMs: number;
  faults: Record<FaultKind, number>;
  /** Fault actions that failed (a Playwright timeout on a loaded machine, …): not verdicts, but printed. */
  faultErrors: string[];
  submit: { calls: number; retries: number; new: number; existing: number; known: number };
  workerInstances: number;
  ledger: { requests: number; cutConnections: number };
  verification: Verification;
  profileDir?: string;
}

export interface ChaosReport {
  seed: number;
  phases: PhaseReport[];
  violations: string[];
  durationMs: number;
}

/** What sets a mode apart: its worker parameters, its tabs, its runs' workflows. */
export interface ModeSpec {
  params: Record<string, string>;
  initialTabs: TabSpec[];
  newTab: () => TabSpec;
  maxTabs: number;
  /** Builds that need a tab open for the runs to finish. */
  settleBuilds: Build[];
  workflow(i: number): ChaosWorkflow | undefined;
  steps: number;
  /** The lease a slow hook must outlast (slowHook only). */
  slowerThanMs?: number;
}

export function modeSpec(o: ChaosOptions, phase: PhaseOptions, rng: Rng): ModeSpec {
  const [stepMin, stepMax] = o.stepMs ?? [100, 500];
  const base: ModeSpec = {
    params: { stepMin: String(stepMin), stepMax: String(stepMax), ...(o.leaseMs !== undefined ? { leaseMs: String(o.leaseMs) } : {}) },
    initialTabs: [{}],
    newTab: () => ({}),
    maxTabs: 3,
    settleBuilds: [],
    workflow: () => undefined,
    steps: phase.steps ?? o.steps ?? 10,
  };
  switch (phase.mode) {
    case 'mixed': {
      const newTab = (): TabSpec => ({ extended: rng.next() < 0.5 });
      return { ...base, initialTabs: [newTab()], newTab };
    }
    case 'deploy':
      return { ...base, initialTabs: [{ build: '1' }], newTab: () => deployTab(rng), maxTabs: 4, settleBuilds: ['1', '2'], workflow: deployWorkflow };
    case 'slowHook': {
      const leaseMs = o.slowHookLeaseMs ?? SLOW_HOOK_LEASE_MS;
      return { ...base, params: slowHookParams(leaseMs, o.hookMs), steps: phase.steps ?? 3, slowerThanMs: leaseMs };
    }
    default:
      return base;
  }
}
