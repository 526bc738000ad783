/**
 * Durable functions: compile-time checks. `tsc -p tsconfig.json` checks this file (the
 * `@ts-expect-error` lines fail the typecheck if they ever compile); at run time the
 * assertions are no-ops, and the definitions are only built, never run.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { workflow, type Run, type Workflow, type WorkflowInput, type WorkflowResult } from '../../src/functions/definition.ts';
import type { StandardSchemaV1 } from '../../src/functions/standard-schema.ts';
import type { Json } from '../../src/core/json.ts';
import type { Step, StepRunner } from '../../src/runtime/types.ts';
import type { RuntimeOptions } from '../../src/runtime/options.ts';

interface Question {
  question: string;
  tags?: string[];
}
interface Plan {
  steps: { title: string; done: boolean }[];
  note?: string;
}
interface Approval {
  text: string;
}

describe('durable functions: types', () => {
  it('infers input and result types from the function and takes interfaces as both', () => {
    const research = workflow(async (run, input: Question) => {
      const plan = await run.step('plan', async (): Promise<Plan> => ({ steps: [{ title: input.question, done: false }] }));
      const approval = await run.waitForEvent<Approval>('approval', `approve:${run.runId}`, { timeoutMs: 1000 });
      if (approval === null) return run.fail('nobody approved');
      return { answer: approval.text, plan };
    });
    expectTypeOf(research).toEqualTypeOf<Workflow<Question, { answer: string; plan: Plan }>>();
    expectTypeOf<WorkflowInput<typeof research>>().toEqualTypeOf<Question>();
    expectTypeOf<WorkflowResult<typeof research>>().toEqualTypeOf<{ answer: string; plan: Plan }>();
  });

  it('types the input from a schema: the schema input for submit, its output for the function', () => {
    const Schema = z.object({ question: z.string(), depth: z.number().default(1) });
    const _wf = workflow({ input: Schema }, async (_run, input) => {
      expectTypeOf(input).toEqualTypeOf<{ question: string; depth: number }>();
      return input.depth;
    });
    expectTypeOf<WorkflowInput<typeof _wf>>().toEqualTypeOf<{ question: string; depth?: number | undefined }>();
    expectTypeOf<WorkflowResult<typeof _wf>>().toEqualTypeOf<number>();
    const handwritten: StandardSchemaV1<{ n: string }, { n: number }> = { '~standard': { version: 1, vendor: 'test', validate: (v) => ({ value: { n: Number((v as { n: string }).n) } }) } };
    const _hw = workflow({ input: handwritten }, async (_run, input) => input.n + 1);
    expectTypeOf<WorkflowInput<typeof _hw>>().toEqualTypeOf<{ n: string }>();
  });

  it('gives a function that returns nothing a null result, and a StepRunner JSON in and out', () => {
    const _quiet = workflow(async (run) => {
      await run.step('noop', async () => undefined);
    });
    expectTypeOf<WorkflowResult<typeof _quiet>>().toEqualTypeOf<null>();
    expectTypeOf<WorkflowInput<StepRunner>>().toEqualTypeOf<Json>();
    expectTypeOf<WorkflowResult<StepRunner>>().toEqualTypeOf<Json>();
  });

  it('types a step result, its payload (the input) and its progress', () => {
    workflow(async (run, input: Question) => {
      const n = await run.step('count', async (step) => {
        expectTypeOf(step.payload).toEqualTypeOf<Question>();
        return input.question.length;
      });
      expectTypeOf(n).toEqualTypeOf<number>();
      await run.step('stream', async (step: Step<Question, { tokens: string }>) => {
        step.progress({ tokens: 'abc' });
        // @ts-expect-error progress is typed by the step
        step.progress({ tokens: 1 });
      });
      expectTypeOf(run).toEqualTypeOf<Run<Question>>();
      return null;
    });
  });

  it('fails to compile a step or a workflow whose value is not JSON', () => {
    workflow(async (run) => {
      // @ts-expect-error a Date is not JSON
      await run.step('when', async () => new Date());
      // @ts-expect-error a function is not JSON
      await run.step('fn', async () => ({ call: () => 1 }));
      // @ts-expect-error a property that may be undefined does not survive a round trip
      await run.step('maybe', async () => ({ a: undefined as string | undefined }));
      // @ts-expect-error a Map is not JSON
      await run.step('map', async () => new Map<string, number>());
      return null;
    });
    // @ts-expect-error the result is not JSON
    workflow(async () => ({ at: new Date() }));
    // @ts-expect-error a result whose property may be undefined is not JSON either
    workflow({ version: '1' }, async () => ({ note: undefined as string | undefined }));
  });

  it('accepts definitions and runners side by side in workflows', () => {
    const wf = workflow(async () => 1);
    const runner: StepRunner = async () => ({ kind: 'succeed', result: null });
    const options: RuntimeOptions = { workflows: { wf, runner } };
    expectTypeOf(options.workflows).toBeObject();
    // @ts-expect-error a plain object is neither
    const bad: RuntimeOptions = { workflows: { x: { run: 1 } } };
    void bad;
  });
});
