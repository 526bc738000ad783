/**
 * The retrieve step: embed every document and every sub-query with the in-browser embedding
 * model, rank the documents by cosine similarity, keep the best three.
 *
 * One memoized call per text: when the step is interrupted (a reload, a crash, a closed tab)
 * its next delivery replays the embeddings it already paid for from the memo, instantly, and
 * only computes the rest. Progress says how many texts are done and how many were replayed.
 */
import type { Step } from 'stepwise/worker';
import { DOCUMENTS } from '../library/documents.ts';
import { cosine, documentText, excerpt, searchTerms } from '../library/search.ts';
import type { LedgerEntry, Plan, Progress, Source } from '../schemas.ts';
import { CallCounter, EMBEDDER, tx } from './models.ts';

const TOP = 3;

export interface Retrieved {
  /** What the embedding model was asked for each sub-query. */
  searchTerms: string[];
  sources: Source[];
  calls: LedgerEntry;
}

export async function retrieve(step: Step, plan: Plan): Promise<Retrieved> {
  const calls = new CallCounter();
  const queries = plan.subQueries.map(searchTerms);
  const texts = [...DOCUMENTS.map(documentText), ...queries];
  const vectors: number[][] = [];
  for (const text of texts) {
    const out = await tx.embed(step, { model: EMBEDDER, texts: text });
    calls.count(out);
    vectors.push(out.embeddings[0] ?? []);
    step.progress({ kind: 'embedding', done: vectors.length, total: texts.length, replayed: calls.replayed } satisfies Progress);
  }
  const docVectors = vectors.slice(0, DOCUMENTS.length);
  const queryVectors = vectors.slice(DOCUMENTS.length);
  const sources: Source[] = DOCUMENTS.map((d, i) => ({
    id: d.id,
    title: d.title,
    score: Math.round(Math.max(...queryVectors.map((q) => cosine(q, docVectors[i] ?? []))) * 1000) / 1000,
    excerpt: excerpt(d),
  }))
    .sort((a, b) => b.score - a.score)
    .slice(0, TOP);
  return { searchTerms: queries, sources, calls: calls.entry('retrieve', step.attempts) };
}
