/**
 * The tools of the "agent with tools" mode, over the bundled notes: AI SDK `tool()`s that the
 * agent's turn step hands to `durableTools`, so each call runs at most once per tool call id and
 * its result is recorded in the step's memo.
 *
 * - `searchNotes({ query })`: the notes that share words with the query, best first (a plain
 *   word match: the mode is about tools, not retrieval quality);
 * - `readNote({ id })`: one note's whole text;
 * - `saveSummary({ title, text })`: needs approval. The SDK does not run it until the run's
 *   approval event says yes. Its result is the summary to keep; the turn step that ran it puts
 *   that in the app KV (`summaries/<runId>`) with the step's settlement. Not from `execute`:
 *   a redelivered step gets the recorded result without calling `execute` again, so an effect
 *   put there would be lost with the failed attempt's settlement.
 */
import type * as Ai from 'ai';
import { DOCUMENTS } from '../library/documents.ts';
import { excerpt } from '../library/search.ts';

/** Words that say nothing about which note is meant. */
const STOP = new Set(['a', 'an', 'and', 'are', 'do', 'for', 'how', 'i', 'in', 'is', 'it', 'my', 'of', 'on', 'or', 'should', 'the', 'to', 'what', 'when', 'which', 'with']);

function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z]+/g) ?? []).filter((w) => !STOP.has(w)).map((w) => w.replace(/(es|s)$/, ''));
}

/** Up to three notes sharing the most words with `query`, best first. */
export function searchNotes(query: string): { id: string; title: string; excerpt: string; matches: number }[] {
  const wanted = new Set(words(query));
  return DOCUMENTS.map((d) => ({ d, matches: new Set(words(`${d.title} ${d.keywords} ${d.text}`).filter((w) => wanted.has(w))).size }))
    .filter((r) => r.matches > 0)
    .sort((a, b) => b.matches - a.matches)
    .slice(0, 3)
    .map(({ d, matches }) => ({ id: d.id, title: d.title, excerpt: excerpt(d), matches }));
}

/** The tool set of the agent's turns, made with the SDK's `tool` and `jsonSchema` (loaded with the first turn). */
export function noteTools({ tool, jsonSchema }: Pick<typeof Ai, 'tool' | 'jsonSchema'>) {
  return {
    searchNotes: tool({
      description: 'Search the household notes. Returns up to three notes (id, title, first sentence), best match first.',
      inputSchema: jsonSchema<{ query: string }>({ type: 'object', properties: { query: { type: 'string', description: 'words to look for' } }, required: ['query'] }),
      execute: ({ query }) => ({ notes: searchNotes(query) }),
    }),
    readNote: tool({
      description: 'Read one household note in full, by the id searchNotes returned.',
      inputSchema: jsonSchema<{ id: string }>({ type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }),
      execute: ({ id }) => {
        const note = DOCUMENTS.find((d) => d.id === id);
        if (!note) throw new Error(`there is no note with id “${id}”; use an id that searchNotes returned`);
        return { id: note.id, title: note.title, text: note.text };
      },
    }),
    saveSummary: tool({
      description: 'Save a short summary for the person to keep. A person must approve it first; they may reject it.',
      inputSchema: jsonSchema<{ title: string; text: string }>({
        type: 'object',
        properties: { title: { type: 'string' }, text: { type: 'string', description: 'at most a few sentences' } },
        required: ['title', 'text'],
      }),
      needsApproval: true,
      execute: ({ title, text }) => ({ saved: true, title, text }),
    }),
  };
}
