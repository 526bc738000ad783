/**
 * The verdict's building blocks: each check yields one table row (ok or not, a count, a detail)
 * and, when it fails, one violation line per offending run or key, with the evidence.
 */

export interface CheckRow {
  check: string;
  ok: boolean;
  count: string;
  detail: string;
}

export interface Verification {
  rows: CheckRow[];
  violations: string[];
  figures: Record<string, number>;
  /** Things worth reading that are not violations (e.g. late requests of dead deliveries). */
  notes: string[];
}

/** At most this many violation lines per check (the count says how many there were). */
const MAX_LINES_PER_CHECK = 20;

export class Checks implements Verification {
  readonly rows: CheckRow[] = [];
  readonly violations: string[] = [];
  readonly figures: Record<string, number> = {};
  readonly notes: string[] = [];

  /** Adds a row; `bad` lists the offending items (each becomes a violation line). */
  check(name: string, good: number, of: number, bad: readonly string[], detail = ''): void {
    this.rows.push({ check: name, ok: bad.length === 0, count: `${good}/${of}`, detail: bad.length ? `${bad.length} violation(s)${detail ? `; ${detail}` : ''}` : detail });
    for (const line of bad.slice(0, MAX_LINES_PER_CHECK)) this.violations.push(`${name}: ${line}`);
    if (bad.length > MAX_LINES_PER_CHECK) this.violations.push(`${name}: … and ${bad.length - MAX_LINES_PER_CHECK} more`);
  }

  /** Appends another verification's rows, violations, figures and notes. */
  add(other: Verification): this {
    this.rows.push(...other.rows);
    this.violations.push(...other.violations);
    Object.assign(this.figures, other.figures);
    this.notes.push(...other.notes);
    return this;
  }

  result(): Verification {
    return { rows: this.rows, violations: this.violations, figures: this.figures, notes: this.notes };
  }
}

export function groupBy<T, K>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

export function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) out[key(it)] = (out[key(it)] ?? 0) + 1;
  return out;
}
