/**
 * The plan step: split the question into sub-queries.
 * - Built-in models: the sub-queries come from rules (the tiny generator cannot plan); the
 *   generator is still called, as a real planner would be, and its text is shown for what it
 *   is: filler from a 29-word test model.
 * - API endpoint: the LLM writes the sub-queries, one per line.
 * Either call is memoized by its runner: a redelivered plan step does not call again.
 */
import type { Step } from 'stepwise/worker';
import { subQuestions } from '../library/search.ts';
import type { LedgerEntry, Plan, RunInput } from '../schemas.ts';
import { CallCounter, GENERATOR, llmFor, tx } from './models.ts';

export interface Planned {
  plan: Plan;
  calls: LedgerEntry;
}

export async function plan(step: Step, input: RunInput): Promise<Planned> {
  const calls = new CallCounter();
  let result: Plan;
  if (input.backend.kind === 'local') {
    const out = await tx.generate(step, { model: GENERATOR, prompt: `Research plan for: ${input.question}\none`, maxNewTokens: 12 });
    calls.count(out);
    result = { subQueries: subQuestions(input.question), modelText: `one ${out.text}`.trim(), planner: 'rules + tiny model' };
  } else {
    const llm = await llmFor(input.backend, step);
    const out = await llm.chat(step, {
      messages: [
        { role: 'system', content: 'You plan research in a small library of household notes. Reply with two or three short search queries, one per line, nothing else.' },
        { role: 'user', content: input.question },
      ],
      temperature: 0,
    });
    calls.count(out);
    const lines = (out.content ?? '')
      .split('\n')
      .map((l) => l.replace(/^\s*(?:[-*•]|\d+[.)])\s*/, '').trim())
      .filter((l) => l.length > 0);
    result = { subQueries: lines.length > 0 ? lines.slice(0, 3) : subQuestions(input.question), modelText: out.content ?? '', planner: 'LLM' };
  }
  return { plan: result, calls: calls.entry('plan', step.attempts) };
}
