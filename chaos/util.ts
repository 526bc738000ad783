/**
 * Small utilities of the chaos driver (Node): a seeded PRNG, the fault deck, bounded waits.
 */

/** A seeded PRNG (mulberry32). */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('nothing to pick from');
    return items[Math.floor(this.next() * items.length)]!;
  }
  token(): string {
    return Math.floor(this.next() * 2 ** 32).toString(36) + Math.floor(this.next() * 2 ** 32).toString(36);
  }
  /** An independent stream (one per phase). */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 2 ** 32));
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

/**
 * Kinds dealt from shuffled decks: a first pass of every kind once (a kind whose injection
 * failed goes back into it; `first`, when given, is dealt before the others), then decks holding
 * each kind as often as its weight.
 */
export class Deck<K extends string> {
  readonly #rng: Rng;
  readonly #weights: Partial<Record<K, number>>;
  /** First-pass kinds not injected successfully yet. */
  readonly #owed: Set<K>;
  #first: K[];
  #cards: K[] = [];

  constructor(rng: Rng, weights: Partial<Record<K, number>>, first?: K) {
    this.#rng = rng;
    this.#weights = weights;
    this.#first = rng.shuffle(Object.keys(weights) as K[]);
    if (first !== undefined) this.#first = [...this.#first.filter((k) => k !== first), first];
    this.#owed = new Set(this.#first);
  }

  /** Every kind was injected successfully at least once. */
  get firstPassDone(): boolean {
    return this.#owed.size === 0;
  }

  next(): K {
    const owed = this.#first.pop();
    if (owed) return owed;
    if (this.#cards.length === 0) this.#cards = this.#rng.shuffle(Object.entries(this.#weights).flatMap(([k, n]) => Array<K>((n as number | undefined) ?? 0).fill(k as K)));
    return this.#cards.pop()!;
  }

  /** Reports how an injection went: a first-pass kind that failed is dealt again. */
  settled(kind: K, ok: boolean): void {
    if (ok) this.#owed.delete(kind);
    else if (this.#owed.has(kind)) this.#first.unshift(kind);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

/** The first line of an error's message, at most 300 characters. */
export function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

/** Polls `cond` until true (→ true) or `ms` passed (→ false). */
export async function pollUntil(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

/** Polls `read` until it gives a non-null value, or `ms` passed (→ the last value). */
export async function pollValue<T>(read: () => Promise<T | null>, ms: number): Promise<T | null> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (v !== null || Date.now() > deadline) return v;
    await sleep(100);
  }
}
