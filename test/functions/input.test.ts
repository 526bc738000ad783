/** Durable functions: input schemas (Standard Schema) checked at submit. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isWorkflowError, type WorkflowError } from '../../src/core/errors.ts';
import { workflow } from '../../src/functions/definition.ts';
import type { StandardSchemaV1 } from '../../src/functions/standard-schema.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import { fresh } from './support.ts';
import { storeOf } from '../support/internals.ts';

/** A schema written by hand against the interface: a positive integer `count`. */
const countSchema: StandardSchemaV1<{ count: number }> = {
  '~standard': {
    version: 1,
    vendor: 'handwritten',
    validate(value) {
      const count = (value as { count?: unknown } | null)?.count;
      if (typeof count === 'number' && Number.isInteger(count) && count > 0) return { value: { count } };
      return { issues: [{ message: 'must be a positive integer', path: [{ key: 'count' }] }] };
    },
  },
};

async function submitError(runtime: Runtime, workflowName: string, input: unknown): Promise<WorkflowError> {
  try {
    await runtime.submit({ workflow: workflowName, input: input as never });
  } catch (e) {
    if (isWorkflowError(e)) return e;
    throw e;
  }
  throw new Error('submit did not reject');
}

async function storedCounts(runtime: Runtime): Promise<{ runs: number; jobs: number }> {
  return storeOf(runtime).read(async (t) => ({ runs: await t.count('runs'), jobs: await t.count('jobs') }), ['runs', 'jobs']);
}

describe('durable functions: input schemas', () => {
  const Question = z.object({ question: z.string().min(3), depth: z.number().int().default(1) });
  const research = workflow({ input: Question }, async (run, input) => run.step('answer', async () => `${input.question}@${input.depth}`));
  const counted = workflow({ input: countSchema }, async (_run, input) => input.count * 2);

  it('rejects an input the zod schema refuses with InvalidInput carrying its issues, and stores nothing', async () => {
    const { runtime } = await fresh({ workflows: { research } });
    const e = await submitError(runtime, 'research', { question: 'no', depth: 'deep' });
    expect(e.name).toBe('InvalidInput');
    expect(e.isPermanent()).toBe(true);
    const issues = e.details['issues'] as { message: string; path: (string | number)[] }[];
    expect(issues.map((i) => i.path)).toEqual([['question'], ['depth']]);
    expect(issues.every((i) => typeof i.message === 'string' && i.message.length > 0)).toBe(true);
    expect(e.message).toMatch(/^the input of workflow "research" does not match its schema: question: .+; depth: /);
    expect(await storedCounts(runtime)).toEqual({ runs: 0, jobs: 0 });
  });

  it('runs the function with the output of the schema (defaults applied)', async () => {
    const { runtime } = await fresh({ workflows: { research } });
    const { runId } = await runtime.submit({ workflow: 'research', input: { question: 'why?' } });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: 'why?@1' });
  });

  it('takes a handwritten Standard Schema the same way', async () => {
    const { runtime } = await fresh({ workflows: { counted } });
    const e = await submitError(runtime, 'counted', { count: -1 });
    expect(e.name).toBe('InvalidInput');
    expect(e.details['issues']).toEqual([{ message: 'must be a positive integer', path: ['count'] }]);
    expect(await storedCounts(runtime)).toEqual({ runs: 0, jobs: 0 });
    const { runId } = await runtime.submit({ workflow: 'counted', input: { count: 4 } });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: 8 });
  });

  it('reports a schema that throws as InvalidInput, and an output that is not JSON as InvalidPayload', async () => {
    const throwing = workflow({ input: { '~standard': { version: 1, vendor: 'x', validate: () => { throw new Error('schema bug'); } } } }, async () => null);
    const dated = workflow({ input: z.object({ at: z.coerce.date() }) }, async () => null);
    const { runtime } = await fresh({ workflows: { throwing, dated } });
    const a = await submitError(runtime, 'throwing', 1);
    expect(a.name).toBe('InvalidInput');
    expect(a.details['issues']).toEqual([{ message: 'the schema threw: schema bug', path: [] }]);
    const b = await submitError(runtime, 'dated', { at: '2024-01-01' });
    expect(b.name).toBe('InvalidPayload');
    expect(await storedCounts(runtime)).toEqual({ runs: 0, jobs: 0 });
  });

  it('refuses a workflow() option that is not a Standard Schema', () => {
    let error: unknown;
    try {
      workflow({ input: { parse: () => null } as never }, async () => null);
    } catch (e) {
      error = e;
    }
    expect(isWorkflowError(error, 'InvalidArgument')).toBe(true);
  });
});
