/**
 * The page's client typed by the worker's workflows: compile-time checks only. `tsc -p
 * tsconfig.json` checks this file (each `@ts-expect-error` fails the typecheck if its line ever
 * compiles); the clients are never created at run time, so nothing here connects to a worker.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { Json } from '../../src/core/json.ts';
import type { RunOutcome, RunStatus } from '../../src/core/types.ts';
import type { connect, StepwiseClient } from '../../src/client/connect.ts';
import type { RunId, TypedStepwiseClient } from '../../src/client/typed.ts';
import { useRun, useRuns } from '../../src/react.ts';
import type { Answer, Question, workflows } from './workflows.fixture.ts';

type Client = TypedStepwiseClient<typeof workflows>;

/** Type-checked, never called. */
function never(_fn: (client: Client) => Promise<void>): void {}

describe('a client typed by the worker workflows', () => {
  it('takes each workflow input type at submit, interfaces included', () => {
    never(async (client) => {
      const question: Question = { question: 'why', tags: ['a'] };
      await client.submit({ workflow: 'research', input: question, runId: 'r1', priority: 1 });
      await client.submit({ workflow: 'summarize', input: { text: 'long text' } }); // `words` has a default
      await client.submit({ workflow: 'legacy', input: { anything: [1, 'json'] } }); // a StepRunner takes any JSON
      await client.submit({ workflow: 'quiet', input: undefined as never });
    });
  });

  it('fails to compile an unknown workflow name or a wrong input', () => {
    never(async (client) => {
      // @ts-expect-error not a registered workflow
      await client.submit({ workflow: 'reserch', input: { question: 'why' } });
      // @ts-expect-error `question` must be a string
      await client.submit({ workflow: 'research', input: { question: 42 } });
      // @ts-expect-error `question` is required
      await client.submit({ workflow: 'research', input: { tags: [] } });
      // @ts-expect-error the input of another workflow
      await client.submit({ workflow: 'summarize', input: { question: 'why' } });
      // @ts-expect-error a schema's input type: `words` is a number
      await client.submit({ workflow: 'summarize', input: { text: 't', words: '5' } });
      // @ts-expect-error a StepRunner still takes only JSON
      await client.submit({ workflow: 'legacy', input: new Date() });
      // @ts-expect-error `list` filters by registered names only
      await client.list({ workflow: 'reserch' });
    });
  });

  it('types wait, status and watch by the workflow of a run id that submit returned', () => {
    never(async (client) => {
      const { runId } = await client.submit({ workflow: 'research', input: { question: 'why' } });
      expectTypeOf(runId).toEqualTypeOf<RunId<'research'>>();
      expectTypeOf(runId).toExtend<string>();
      const outcome = await client.wait(runId);
      expectTypeOf(outcome.workflow).toEqualTypeOf<'research'>();
      expectTypeOf(outcome.result).toEqualTypeOf<Answer | undefined>();
      const status = await client.status(runId);
      expectTypeOf(status?.result).toEqualTypeOf<Answer | undefined>();
      client.watch(runId, (s, event) => {
        expectTypeOf(s.result).toEqualTypeOf<Answer | undefined>();
        if (event.type === 'status') expectTypeOf(event.status.result).toEqualTypeOf<Answer | undefined>();
      });
      const { runId: other } = await client.submit({ workflow: 'summarize', input: { text: 't' } });
      expectTypeOf((await client.wait(other)).result).toEqualTypeOf<string | undefined>();
      const { runId: silent } = await client.submit({ workflow: 'quiet', input: undefined as never });
      expectTypeOf((await client.wait(silent)).result).toEqualTypeOf<null | undefined>();
    });
  });

  it('types a plain string run id by a named workflow, or as the union of every workflow', () => {
    never(async (client) => {
      const named = await client.wait<'summarize'>('run-1');
      expectTypeOf(named.result).toEqualTypeOf<string | undefined>();
      expectTypeOf((await client.status<'legacy'>('run-1'))?.result).toEqualTypeOf<Json | undefined>();
      const any = await client.wait('run-1');
      expectTypeOf(any.workflow).toEqualTypeOf<'research' | 'summarize' | 'quiet' | 'legacy'>();
      if (any.workflow === 'research') expectTypeOf(any.result).toEqualTypeOf<Answer | undefined>();
      if (any.workflow === 'legacy') expectTypeOf(any.result).toEqualTypeOf<Json | undefined>();
      // @ts-expect-error not a registered workflow
      await client.wait<'reserch'>('run-1');
      const { runs } = await client.list({ workflow: 'research' });
      expectTypeOf(runs[0]!.result).toEqualTypeOf<Answer | undefined>();
    });
  });

  it('gives connect<typeof workflows>() the typed client, and connect() the untyped one', () => {
    const typed = (c: typeof connect) => c<typeof workflows>({ url: 'worker.js' });
    expectTypeOf(typed).returns.toEqualTypeOf<Client>();
    const untyped = (c: typeof connect) => c({ url: 'worker.js' });
    expectTypeOf(untyped).returns.toEqualTypeOf<StepwiseClient>();
    expectTypeOf<ReturnType<typeof connect>>().toEqualTypeOf<StepwiseClient>();
    // @ts-expect-error the typed form checks its options too
    expectTypeOf((c: typeof connect) => c<typeof workflows>({ url: 42 })).toBeFunction();
  });

  it('keeps the rest of the client, and an untyped client as it was', () => {
    never(async (client) => {
      expectTypeOf(client.sendEvent).toEqualTypeOf<StepwiseClient['sendEvent']>();
      expectTypeOf(client.mode).toEqualTypeOf<Promise<'shared' | 'dedicated'>>();
      // A StepRunner's outcome is still a RunOutcome, so code written for the untyped client takes it.
      expectTypeOf(await client.wait<'legacy'>('run-1')).toExtend<RunOutcome>();
      expectTypeOf((await client.status<'legacy'>('run-1'))!).toExtend<RunStatus>();
    });
    const untyped = async (client: StepwiseClient) => {
      await client.submit({ workflow: 'anything', input: { any: 'json' } });
      expectTypeOf((await client.wait('run-1')).result).toEqualTypeOf<Json | undefined>();
    };
    expectTypeOf(untyped).toBeFunction();
  });

  it('types the React hooks by the workflows of a typed client, and takes an untyped one', () => {
    never(async (client) => {
      const { runId } = await client.submit({ workflow: 'research', input: { question: 'why' } });
      expectTypeOf(useRun(client, runId).status?.result).toEqualTypeOf<Answer | undefined>();
      expectTypeOf(useRun(client, 'run-1').status?.workflow).toEqualTypeOf<'research' | 'summarize' | 'quiet' | 'legacy' | undefined>();
      expectTypeOf(useRuns(client, { workflow: 'summarize' }).runs[0]?.result).toEqualTypeOf<string | undefined>();
      // @ts-expect-error not a registered workflow
      useRuns(client, { workflow: 'reserch' });
    });
    const untyped = (client: StepwiseClient) => {
      expectTypeOf(useRun(client, 'run-1').status).toEqualTypeOf<RunStatus | undefined>();
      expectTypeOf(useRuns(client).runs).toEqualTypeOf<readonly RunStatus[]>();
    };
    expectTypeOf(untyped).toBeFunction();
  });
});
