/**
 * Removes the client's secrets from text that may be stored or shown (error messages, which
 * the runtime records as the step's last error): a server may echo a key it rejected (whole,
 * or masked down to a prefix), and a fetch failure may quote a header.
 *
 * Invariants:
 * - Any run of at least `FRAGMENT` characters of a secret is replaced, wherever it stands: a
 *   prefix left by a server's masking or by a cut is as much a leak as the whole key. So text is
 *   redacted first and cut afterwards (see `bounded`), never the other way round.
 * - A redactor is immutable. The client's own secrets (a string `apiKey`, the extra headers)
 *   make one for the client's lifetime; a key returned by an `apiKey` function joins a copy made
 *   for that one request (`with`) and is forgotten with it, so rotating keys do not pile up in
 *   worker memory.
 */

/** Secrets and fragments shorter than this are not redacted (a header set to "1" is no secret). */
export const FRAGMENT = 8;

export class Redactor {
  readonly #secrets: readonly string[];
  /** Every `FRAGMENT`-character window of every secret: a text run made of them is secret. */
  readonly #windows: ReadonlySet<string>;

  constructor(secrets: Iterable<string> = []) {
    const kept = [...new Set([...secrets].filter((s) => typeof s === 'string' && s.length >= FRAGMENT))];
    this.#secrets = kept;
    const windows = new Set<string>();
    for (const s of kept) for (let i = 0; i + FRAGMENT <= s.length; i++) windows.add(s.slice(i, i + FRAGMENT));
    this.#windows = windows;
  }

  /** A redactor for one request: these secrets plus `extra` (a key a function returned). */
  with(extra: string | undefined): Redactor {
    return extra === undefined || extra.length < FRAGMENT || this.#secrets.includes(extra) ? this : new Redactor([...this.#secrets, extra]);
  }

  /** How many secrets this redactor holds. */
  get size(): number {
    return this.#secrets.length;
  }

  redact(text: string): string {
    let out = this.#windows.size > 0 ? this.#maskFragments(text) : text;
    // Whatever still looks like a bearer credential (e.g. from a key function that changed).
    out = out.replace(/(bearer\s+)[^\s"',;]+/gi, '$1[redacted]');
    return out;
  }

  /** Redacts, then cuts to `max` characters (an ellipsis marks the cut). */
  bounded(text: string, max: number): string {
    const safe = this.redact(text);
    return safe.length > max ? `${safe.slice(0, max)}…` : safe;
  }

  #maskFragments(text: string): string {
    if (text.length < FRAGMENT) return text;
    const secret = new Uint8Array(text.length);
    let found = false;
    for (let i = 0; i + FRAGMENT <= text.length; i++) {
      if (this.#windows.has(text.slice(i, i + FRAGMENT))) {
        secret.fill(1, i, i + FRAGMENT);
        found = true;
      }
    }
    if (!found) return text;
    let out = '';
    for (let i = 0; i < text.length; ) {
      if (secret[i] === 1) {
        while (i < text.length && secret[i] === 1) i++;
        out += '[redacted]';
      } else {
        const start = i;
        while (i < text.length && secret[i] !== 1) i++;
        out += text.slice(start, i);
      }
    }
    return out;
  }
}
