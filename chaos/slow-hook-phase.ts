/**
 * The slow-hook phase, and the hook checks every phase runs.
 *
 * Terminal hooks are durable jobs under a time lease, like steps. In this phase the workers run
 * with a short lease (1 s by default) and the terminal hook works longer than it (1.5 to 2.5
 * leases by default) before it reports the run's end, while reloads, crashes, close-all and
 * SIGKILL hit the workers. A hook call must never be taken for a hung one while it still runs:
 * its lease is renewed as it works, and a call that loses its claim anyway is told by its signal
 * and stops. Runs are short (3 steps by default), so many hooks run.
 *
 * Evidence (chaos/ledger.ts, POST /hook): each hook call reports its start, a beat every 150 ms
 * and its end (or `abort`, when its signal was aborted), stamped with its worker's clock. A call
 * whose worker died stops reporting, so [start, last record] is when it surely ran. For each
 * run, no two calls' intervals may overlap: a hook never runs twice at once. The phase also
 * proves it tested what it is for: some call that ended normally outlasted the lease.
 */
import { Checks, groupBy, type Verification } from './checks.ts';
import type { HookRecord } from './protocol.ts';

/** The lease of the slow-hook phase's workers, ms. */
export const SLOW_HOOK_LEASE_MS = 1000;

/** How long the slow hook works, as multiples of the lease. */
export const SLOW_HOOK_LEASES: [number, number] = [1.5, 2.5];

/** The slow-hook phase's worker parameters for a lease of `leaseMs`. */
export function slowHookParams(leaseMs: number, hookMs?: [number, number]): Record<string, string> {
  const [min, max] = hookMs ?? [Math.round(leaseMs * SLOW_HOOK_LEASES[0]), Math.round(leaseMs * SLOW_HOOK_LEASES[1])];
  return { leaseMs: String(leaseMs), hookMin: String(min), hookMax: String(max), stepMin: '50', stepMax: '200' };
}

/** One call of the hook, as its records bound it. */
export interface HookSpan {
  runId: string;
  call: string;
  instance: string;
  /** Worker clock, ms: the first and the last record of the call. */
  from: number;
  to: number;
  /** How the call ended; `undefined`: no end record (its worker died, or the record was lost). */
  ended: 'end' | 'abort' | undefined;
}

export function hookSpans(records: readonly HookRecord[]): HookSpan[] {
  const byCall = new Map<string, HookSpan>();
  for (const r of records) {
    const s = byCall.get(r.call) ?? { runId: r.runId, call: r.call, instance: r.instance, from: r.t, to: r.t, ended: undefined };
    s.from = Math.min(s.from, r.t);
    s.to = Math.max(s.to, r.t);
    if (r.event === 'end' || r.event === 'abort') s.ended = r.event;
    byCall.set(r.call, s);
  }
  return [...byCall.values()];
}

export interface HookCheckOptions {
  /** The runs submitted (a hook call for any other run is reported). */
  runIds: readonly string[];
  /** In the slow-hook phase: the workers' lease, which some normally ended call must outlast. */
  slowerThanMs?: number;
}

/** No two calls of the hook for one run ran at once (and, with `slowerThanMs`, some outlasted the lease). */
export function checkHooks(records: readonly HookRecord[], o: HookCheckOptions): Verification {
  const checks = new Checks();
  const spans = hookSpans(records);
  const known = new Set(o.runIds);
  const byRun = groupBy(spans, (s) => s.runId);
  const bad: string[] = [];
  for (const [runId, list] of byRun) {
    if (!known.has(runId)) bad.push(`${runId}: hook calls for a run nobody submitted`);
    list.sort((a, b) => a.from - b.from);
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i]!, list[j]!];
        if (a.from < b.to && b.from < a.to) {
          bad.push(`${runId}: call ${a.call} [${show(a)}] and call ${b.call} [${show(b)}] ran at once for ${Math.min(a.to, b.to) - b.from} ms`);
        }
      }
    }
  }
  const ended = spans.filter((s) => s.ended === 'end');
  const aborted = spans.filter((s) => s.ended === 'abort').length;
  const cut = spans.length - ended.length - aborted;
  const longest = Math.max(0, ...ended.map((s) => s.to - s.from));
  checks.figures['hook calls'] = spans.length;
  checks.figures['hook calls aborted by their signal (claim lost)'] = aborted;
  checks.figures['hook calls cut off (worker died)'] = cut;
  checks.figures['longest hook call that ended, ms'] = longest;
  const overlapping = new Set(bad.map((b) => b.split(':')[0]));
  checks.check('a hook never runs twice at once (per run)', byRun.size - overlapping.size, byRun.size, bad, `${spans.length} calls: ${ended.length} ended, ${aborted} aborted, ${cut} cut off by a dying worker`);
  if (o.slowerThanMs !== undefined) {
    const slow = ended.filter((s) => s.to - s.from > o.slowerThanMs!).length;
    checks.figures['hook calls that outlasted the lease and ended'] = slow;
    checks.check(
      `hooks slower than the lease (${o.slowerThanMs} ms) ran to their end`,
      slow,
      ended.length,
      slow > 0 ? [] : [`no hook call that ended outlasted the lease (longest ${longest} ms): the phase did not test slow hooks`],
      `longest ${longest} ms`,
    );
  }
  return checks.result();
}

function show(s: HookSpan): string {
  return `${s.from}..${s.to} on ${s.instance}, ${s.ended ?? 'no end record'}`;
}
