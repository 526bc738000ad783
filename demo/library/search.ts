/**
 * Query helpers over the bundled library, shared by the plan and retrieve steps: splitting a
 * question into sub-questions, mapping a sub-question to the library's index terms (the words
 * the tiny embedding model knows), and cosine ranking.
 */
import { DOCUMENTS, type LibraryDocument } from './documents.ts';

/** Every keyword of the library: the index terms. */
const INDEX_TERMS: ReadonlySet<string> = new Set(DOCUMENTS.flatMap((d) => d.keywords.split(/\s+/)));

/** Splits a question into up to three sub-questions at commas, semicolons and "and"/"also". */
export function subQuestions(question: string): string[] {
  const parts = question
    .split(/[,;?]|\band\b|\balso\b/i)
    .map((p) => p.trim().replace(/^(what|how)\s+about\s+/i, ''))
    .filter((p) => p.length >= 3);
  const unique = [...new Set(parts)];
  return unique.length > 0 ? unique.slice(0, 3) : [question.trim()];
}

/**
 * The index terms a sub-question mentions ("snows" finds "snow"), as the text to embed; the
 * sub-question itself when it mentions none.
 */
export function searchTerms(subQuery: string): string {
  const words = subQuery.toLowerCase().match(/[a-z]+/g) ?? [];
  const found: string[] = [];
  for (const w of words) {
    const stem = [w, w.replace(/es$/, ''), w.replace(/s$/, '')].find((c) => INDEX_TERMS.has(c));
    if (stem && !found.includes(stem)) found.push(stem);
  }
  return found.length > 0 ? found.join(' ') : subQuery;
}

/** What the embedding model reads of a document. */
export function documentText(d: LibraryDocument): string {
  return `${d.title}. ${d.keywords}`;
}

/** The first sentence of a document. */
export function excerpt(d: LibraryDocument): string {
  const m = /^.*?[.!?](\s|$)/.exec(d.text);
  return (m ? m[0] : d.text).trim();
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
