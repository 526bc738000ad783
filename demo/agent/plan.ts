/**
 * Step 0, plan: split the question into sub-queries.
 * - Built-in models: the sub-queries come from rules (the tiny generator cannot plan); the
 *   generator is still called, as a real planner would be, and its text is shown for what it
 *   is: filler from a 29-word test model.
 * - API endpoint: the LLM writes the sub-queries, one per line.
 * Either call is memoized by its runner: a redelivered plan step does not call again.
 */
import type { Step } from '../../src/worker.ts';
import { subQuestions } from '../library/search.ts';
import type { Carry, Plan } from '../shared.ts';
import { CallCounter, GENERATOR, llmFor, tx } from './models.ts';

export async function plan(step: Step, carry: Carry): Promise<Carry> {
  const calls = new CallCounter();
  let result: Plan;
  if (carry.backend.kind === 'local') {
    const out = await tx.generate(step, { model: GENERATOR, prompt: `Research plan for: ${carry.question}\none`, maxNewTokens: 12 });
    calls.count(out);
    result = { subQueries: subQuestions(carry.question), modelText: `one ${out.text}`.trim(), planner: 'rules + tiny model' };
  } else {
    const llm = await llmFor(carry.backend, step);
    const out = await llm.chat(step, {
      messages: [
        { role: 'system', content: 'You plan research in a small library of household notes. Reply with two or three short search queries, one per line, nothing else.' },
        { role: 'user', content: carry.question },
      ],
      temperature: 0,
    });
    calls.count(out);
    const lines = (out.content ?? '')
      .split('\n')
      .map((l) => l.replace(/^\s*(?:[-*•]|\d+[.)])\s*/, '').trim())
      .filter((l) => l.length > 0);
    result = { subQueries: lines.length > 0 ? lines.slice(0, 3) : subQuestions(carry.question), modelText: out.content ?? '', planner: 'LLM' };
  }
  return { ...carry, plan: result, ledger: [...carry.ledger, calls.entry('plan', step.attempts)] };
}
