/**
 * The draft step: write the answer from the sources, streaming tokens to every open page.
 * - Built-in models: one section per source: the source's key sentence, then a note from the
 *   tiny generator (one memoized call per section). A reload mid-draft replays the finished
 *   sections from the memo and regenerates only the one that was cut off.
 * - API endpoint: one streamed chat completion over the sources (memoized by the LLM runner).
 * The draft is also put in the app KV, committed with the step: pages read it while the run
 * waits for approval.
 */
import type { Json } from 'stepwise/client';
import type { Step } from 'stepwise/worker';
import { DOCUMENTS } from '../library/documents.ts';
import { parseProgress, type LedgerEntry, type Progress, type RunInput, type Source } from '../schemas.ts';
import { draftKey } from '../shared.ts';
import { CallCounter, GENERATOR, llmFor, tx } from './models.ts';

/** Words the tiny generator continues (see models/expected.json): its notes are filler. */
const NOTE_PROMPTS = ['hello', 'the', 'one', 'a'];

export interface Drafted {
  text: string;
  calls: LedgerEntry;
}

export async function draft(step: Step, input: RunInput, sources: Source[]): Promise<Drafted> {
  const calls = new CallCounter();
  let text: string;
  if (input.backend.kind === 'local') {
    const sections: string[] = [];
    for (const [i, s] of sources.entries()) {
      const head = `[${i + 1}] ${s.title}: ${s.excerpt}\n    tiny model: `;
      const word = NOTE_PROMPTS[i % NOTE_PROMPTS.length] ?? '';
      const before = sections.join('\n');
      const show = (note: string) =>
        step.progress({ kind: 'tokens', text: `${before}${before ? '\n' : ''}${head}${note}`, done: false, section: i + 1, sections: sources.length } satisfies Progress);
      show(word);
      // The runner streams this generation's tokens to `progress`: shown inside the draft so far.
      const section: Step = { ...step, progress: (update: Json) => show(`${word} ${tokensOf(update)}`.trim()) };
      const out = await tx.generate(section, { model: GENERATOR, prompt: `${s.title}\n${word}`, maxNewTokens: 16 });
      calls.count(out);
      sections.push(`${head}${`${word} ${out.text}`.trim()}`);
    }
    text = `${sections.join('\n')}\n\n(Notes by the built-in tiny test model: filler by design. Edit this draft before approving.)`;
    step.progress({ kind: 'tokens', text, done: true, section: sources.length, sections: sources.length } satisfies Progress);
  } else {
    const llm = await llmFor(input.backend, step);
    const out = await llm.chat(step, {
      messages: [
        { role: 'system', content: 'Answer the question from the numbered sources only, citing them like [1]. At most 120 words.' },
        { role: 'user', content: `Question: ${input.question}\n\nSources:\n${sourceTexts(sources)}` },
      ],
      stream: true,
      temperature: 0,
    });
    calls.count(out);
    text = out.content ?? '';
  }
  step.effects.put(draftKey(step.runId), text);
  return { text, calls: calls.entry('draft', step.attempts) };
}

function tokensOf(update: Json): string {
  const p = parseProgress(update);
  return p?.kind === 'tokens' ? p.text : '';
}

function sourceTexts(sources: Source[]): string {
  return sources.map((s, i) => `[${i + 1}] ${s.title}: ${DOCUMENTS.find((d) => d.id === s.id)?.text ?? s.excerpt}`).join('\n');
}
