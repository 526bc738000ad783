/**
 * A worker module's workflow map, as an app writes it: the typed-client tests import it with
 * `import type` only, as a page does.
 */
import { z } from 'zod';
import { workflow } from '../../src/functions/definition.ts';
import type { StepRunner } from '../../src/runtime/types.ts';

export interface Question {
  question: string;
  tags?: string[];
}
export interface Answer {
  answer: string;
  sources: { url: string; title: string }[];
}

const research = workflow(async (run, input: Question): Promise<Answer> => {
  const sources = await run.step('search', async () => [{ url: 'https://example.org', title: input.question }]);
  return { answer: 'yes', sources };
});

const summarize = workflow({ input: z.object({ text: z.string(), words: z.number().default(50) }) }, async (_run, input) => input.text.slice(0, input.words));

const quiet = workflow(async (run) => {
  await run.step('noop', async () => undefined);
});

const legacy: StepRunner = async () => ({ kind: 'succeed', result: null });

export const workflows = { research, summarize, quiet, legacy };
