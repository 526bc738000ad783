/**
 * The public surface, pinned by type: what a page's client offers, what a runner's `Step`
 * offers, and what the `Runtime` and `Queue` classes expose. A member added to, removed from or
 * retyped on any of them fails here (`tsc -p tsconfig.json` and Vitest's `expectTypeOf`), so a
 * change of the surface is always a deliberate edit of this file. Nothing here runs a worker.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { connect, type ConnectOptions, type StepwiseClient } from '../../src/client.ts';
import type {
  AttemptRecord,
  DeadJob,
  DeadJobsQuery,
  Effects,
  HandoffOutcome,
  HandoffTarget,
  Json,
  LeaseHandle,
  ListOutcome,
  ListQuery,
  Memo,
  Queue,
  RunOutcome,
  RunSpec,
  RunStatus,
  Runtime,
  Step,
  SubmitOutcome,
} from '../../src/index.ts';
import type * as inspect from '../../src/inspect.ts';
import type { WorkerHost } from '../../src/worker.ts';

/** What `connect(options)` returns (without a workflow map: `connect<typeof workflows>` types it further). */
type Client = StepwiseClient;

describe("the client's type (what connect() returns)", () => {
  it('is StepwiseClient for a connect without a workflow map', () => {
    // Type-checked only: never called, so nothing connects.
    const _untyped = (options: ConnectOptions) => connect(options);
    expectTypeOf<ReturnType<typeof _untyped>>().toEqualTypeOf<StepwiseClient>();
  });

  it('has the runtime calls, watch, close and the connection facts, and nothing else', () => {
    type Members =
      | 'submit'
      | 'cancel'
      | 'status'
      | 'list'
      | 'wait'
      | 'sendEvent'
      | 'clearEvent'
      | 'deadJobs'
      | 'requeueDead'
      | 'history'
      | 'handoff'
      | 'watch'
      | 'close'
      | 'name'
      | 'mode'
      | 'reconnects';
    expectTypeOf<keyof Client>().toEqualTypeOf<Members>();
  });

  it('types each call as the runtime does', () => {
    expectTypeOf<Client['submit']>().toEqualTypeOf<(spec: RunSpec) => Promise<SubmitOutcome>>();
    expectTypeOf<Client['cancel']>().toEqualTypeOf<(runId: string) => Promise<boolean>>();
    expectTypeOf<Client['status']>().toEqualTypeOf<(runId: string) => Promise<RunStatus | undefined>>();
    expectTypeOf<Client['list']>().toEqualTypeOf<(query?: ListQuery) => Promise<ListOutcome>>();
    expectTypeOf<Client['wait']>().parameter(0).toEqualTypeOf<string>();
    expectTypeOf<Client['wait']>().returns.toEqualTypeOf<Promise<RunOutcome>>();
    expectTypeOf<Client['sendEvent']>().toEqualTypeOf<(key: string, payload: Json) => Promise<'delivered' | 'buffered'>>();
    expectTypeOf<Client['clearEvent']>().toEqualTypeOf<(key: string) => Promise<boolean>>();
    expectTypeOf<Client['deadJobs']>().toEqualTypeOf<(query?: DeadJobsQuery) => Promise<DeadJob[]>>();
    expectTypeOf<Client['requeueDead']>().toEqualTypeOf<(jobId: string) => Promise<void>>();
    expectTypeOf<Client['history']>().toEqualTypeOf<(runId: string) => Promise<AttemptRecord[]>>();
    expectTypeOf<Client['handoff']>().toEqualTypeOf<(runId: string, target: HandoffTarget) => Promise<HandoffOutcome>>();
    expectTypeOf<Client['watch']>().returns.toEqualTypeOf<() => void>();
    expectTypeOf<Client['close']>().toEqualTypeOf<() => void>();
    expectTypeOf<Client['mode']>().toEqualTypeOf<Promise<'shared' | 'dedicated'>>();
  });
});

describe("Step's type (what a runner is handed)", () => {
  it('has the delivery facts and the narrow capabilities, and nothing else', () => {
    type Members = 'runId' | 'workflow' | 'stepNumber' | 'payload' | 'headers' | 'jobId' | 'attempts' | 'signal' | 'event' | 'memo' | 'effects' | 'lease' | 'progress';
    expectTypeOf<keyof Step>().toEqualTypeOf<Members>();
  });

  it('types each member', () => {
    expectTypeOf<Step['runId']>().toEqualTypeOf<string>();
    expectTypeOf<Step['workflow']>().toEqualTypeOf<string>();
    expectTypeOf<Step['stepNumber']>().toEqualTypeOf<number>();
    expectTypeOf<Step['payload']>().toEqualTypeOf<Json>();
    expectTypeOf<Step<{ q: string }>['payload']>().toEqualTypeOf<{ q: string }>();
    expectTypeOf<Step['headers']>().toEqualTypeOf<Readonly<Record<string, string>>>();
    expectTypeOf<Step['jobId']>().toEqualTypeOf<string>();
    expectTypeOf<Step['attempts']>().toEqualTypeOf<number>();
    expectTypeOf<Step['signal']>().toEqualTypeOf<AbortSignal>();
    expectTypeOf<Step['event']>().toEqualTypeOf<{ key: string; payload: Json | null } | undefined>();
    expectTypeOf<Step['memo']>().toEqualTypeOf<Memo>();
    expectTypeOf<Step['effects']>().toEqualTypeOf<Effects>();
    expectTypeOf<Step['lease']>().toEqualTypeOf<LeaseHandle>();
    expectTypeOf<Step['progress']>().toEqualTypeOf<(update: Json) => void>();
    expectTypeOf<Step<Json, { tokens: number }>['progress']>().toEqualTypeOf<(update: { tokens: number }) => void>();
    expectTypeOf<keyof Memo>().toEqualTypeOf<'get' | 'put' | 'contentGet' | 'contentPut'>();
    expectTypeOf<keyof Effects>().toEqualTypeOf<'put' | 'delete'>();
    expectTypeOf<keyof LeaseHandle>().toEqualTypeOf<'extend' | 'expiresAt'>();
  });
});

describe('the sealed Runtime and Queue classes', () => {
  it('Runtime exposes the documented calls only: no queue, no raw transactions, no recovery hooks', () => {
    type Members =
      | 'clock'
      | 'owner'
      | 'isRunning'
      | 'start'
      | 'stop'
      | 'parking'
      | 'close'
      | 'submit'
      | 'cancel'
      | 'status'
      | 'list'
      | 'wait'
      | 'sendEvent'
      | 'clearEvent'
      | 'deadJobs'
      | 'requeueDead'
      | 'history'
      | 'handoff'
      | 'subscribe'
      | 'kv'
      | 'lastError';
    expectTypeOf<keyof Runtime>().toEqualTypeOf<Members>();
    expectTypeOf<keyof Runtime['kv']>().toEqualTypeOf<'get' | 'scan'>();
    expectTypeOf<WorkerHost['ready']>().toEqualTypeOf<Promise<Runtime>>();
  });

  it('Queue exposes the standalone queue API only: no store, no transactions, no inspection methods', () => {
    type Members =
      | 'clock'
      | 'owner'
      | 'config'
      | 'on'
      | 'nextDueAt'
      | 'enqueue'
      | 'enqueueBatch'
      | 'claim'
      | 'claimBatch'
      | 'claimWait'
      | 'ack'
      | 'nack'
      | 'deadLetter'
      | 'cancel'
      | 'wakeScheduled'
      | 'ensureLease'
      | 'leaseExpiry'
      | 'reap'
      | 'recoverClaims'
      | 'sweep'
      | 'deadJobs'
      | 'requeueDead'
      | 'kv'
      | 'close';
    expectTypeOf<keyof Queue>().toEqualTypeOf<Members>();
    expectTypeOf<Queue['requeueDead']>().toEqualTypeOf<(jobId: string) => Promise<void>>();
    expectTypeOf<keyof Queue['kv']>().toEqualTypeOf<'get' | 'scan' | 'put' | 'delete' | 'compareDelete' | 'comparePut'>();
  });

  it('stepwise/inspect holds the maintenance and inspection calls, as functions', () => {
    type Exports = 'clearMemos' | 'memo' | 'queueOf' | 'recoverNow' | 'sweepNow' | 'terminalMarkers' | 'getJob' | 'jobHistory' | 'listQueues' | 'stats';
    expectTypeOf<keyof typeof inspect>().toEqualTypeOf<Exports>();
    expectTypeOf<typeof inspect.memo>().toEqualTypeOf<(runtime: Runtime, runId: string, stepNumber: number) => Memo>();
    expectTypeOf<typeof inspect.queueOf>().toEqualTypeOf<(runtime: Runtime) => Queue>();
    expectTypeOf<typeof inspect.stats>().parameter(0).toEqualTypeOf<Queue | Runtime>();
  });
});
