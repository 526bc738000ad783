/**
 * The page/worker boundary: the ONE interface that crosses it, and the names both sides derive
 * from the database name (locks, channels). Plain structured-cloneable data only; the single
 * callback (`watch` listeners) is not passed over RPC at all: run events fan out to every tab
 * on a BroadcastChannel, so a reconnecting page misses nothing it must re-subscribe to.
 */
import type { Json } from '../core/json.ts';
import type {
  AttemptRecord,
  DeadJob,
  DeadJobsQuery,
  ListOutcome,
  ListQuery,
  RunEvent,
  RunOutcome,
  RunSpec,
  RunStatus,
  SubmitOutcome,
  HandoffOutcome,
  HandoffTarget,
} from '../core/types.ts';

/** Bumped when the shape of `WorkerApi` changes incompatibly. */
export const PROTOCOL_VERSION = 1;

export interface HelloOutcome {
  protocol: number;
  /**
   * The database name given to `serve` (absent from workers of older builds): a client whose
   * `connect({ name })` differs would watch a channel no event is posted on, so it refuses.
   */
  name?: string;
  /** This worker instance's id (changes when a worker restarts). */
  instanceId: string;
  /** A lock the worker holds for its whole life: a page queued on it is granted it when the worker dies. */
  aliveLock: string;
  /** Whether this instance currently holds the executor role. */
  executing: boolean;
  /** 'shared' (one SharedWorker for all tabs) or 'dedicated' (per-tab fallback). */
  mode: 'shared' | 'dedicated';
}

/** The runtime's methods, as pages see them: the worker serves them and the client offers them. */
export interface RunApi {
  submit(spec: RunSpec): Promise<SubmitOutcome>;
  cancel(runId: string): Promise<boolean>;
  status(runId: string): Promise<RunStatus | undefined>;
  list(query?: ListQuery): Promise<ListOutcome>;
  wait(runId: string, options?: { timeoutMs?: number }): Promise<RunOutcome>;
  sendEvent(key: string, payload: Json): Promise<'delivered' | 'buffered'>;
  clearEvent(key: string): Promise<boolean>;
  deadJobs(query?: DeadJobsQuery): Promise<DeadJob[]>;
  requeueDead(jobId: string): Promise<void>;
  history(runId: string): Promise<AttemptRecord[]>;
  /**
   * Hands a run that has not ended to a server through the app's gateway; from then on the
   * run's status is the server's and its outcome lands here once. A run does not come back.
   */
  handoff(runId: string, target: HandoffTarget): Promise<HandoffOutcome>;
}

/**
 * Every `RunApi` method, once. `satisfies` makes the compiler reject a method missing here or
 * one `RunApi` does not declare; the worker's api object, the port's allow-list and the
 * client's methods are all derived from this list.
 */
const RUN_API_METHODS = {
  submit: true,
  cancel: true,
  status: true,
  list: true,
  wait: true,
  sendEvent: true,
  clearEvent: true,
  deadJobs: true,
  requeueDead: true,
  history: true,
  handoff: true,
} as const satisfies Record<keyof RunApi, true>;

/** The names of the `RunApi` methods, derived from one exhaustive declaration. */
export const RUN_METHODS = Object.keys(RUN_API_METHODS) as readonly (keyof RunApi)[];

/** Everything a page can ask of the worker: the runtime's methods and a hello. */
export interface WorkerApi extends RunApi {
  hello(): Promise<HelloOutcome>;
  /** `RunApi.wait`, given the caller lock of the client that asks: the wait is dropped once that client is gone. */
  wait(runId: string, options?: { timeoutMs?: number }, caller?: string): Promise<RunOutcome>;
}

/** The method names a page may call: everything else is refused at the port. */
// A call marked pure (a spread is not), so a page bundle that never reads it drops it.
export const WORKER_METHODS: readonly (keyof WorkerApi)[] = /* @__PURE__ */ (['hello'] as (keyof WorkerApi)[]).concat(RUN_METHODS);

/**
 * Posted by the worker on every port, before any comlink answer (not a comlink message: it has
 * no `id`, so comlink ignores it). `serving`: the module called `serve`, which answers the
 * hello once the database is open. `loaded`: the module finished loading and imported
 * `stepwise/worker` but has not called `serve` (yet): a page that gets no `serving` soon after
 * knows the module forgot it.
 */
export interface ServingMessage {
  stepwise: 'serving' | 'loaded';
  protocol: number;
}

export function isServingMessage(v: unknown): v is ServingMessage {
  const kind = typeof v === 'object' && v !== null ? (v as { stepwise?: unknown }).stepwise : undefined;
  return kind === 'serving' || kind === 'loaded';
}

/**
 * Test control of a worker's clock, on its own BroadcastChannel (`names.testChannel`): only a
 * worker served with a clock that can be moved (a `MockClock`) listens, and it holds
 * `names.clockLock` for life so a test can tell at once whether any worker would answer.
 */
export type ClockRequest = { kind: 'clock'; id: string; op: 'advance' | 'set'; ms: unknown };
export type ClockReply = { kind: 'clockReply'; id: string; instanceId: string } & ({ now: number } | { error: { name: string; message: string } });

/** Messages on the events channel (worker -> every tab). */
export type ChannelMessage = { kind: 'run'; event: RunEvent };

/** Messages on the coordination channel (between runtime instances of one database). */
export type PeerMessage =
  | { kind: 'enqueued'; from: string }
  | { kind: 'cancelRequested'; jobId: string; from: string }
  /** A worker of a development build announces its build id; older builds yield the executor role. */
  | { kind: 'build'; build: string; from: string };

/** What an instance registers: the names of its workflows and terminal hooks. */
export interface Knows {
  workflows: readonly string[];
  hooks: readonly string[];
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/*
 * The three names a page needs are functions of their own, imported by the client directly: an
 * object is bundled whole, and `names` carries the worker side's lock parsing too.
 */

/**
 * SharedWorker name: encodes `extendedLifetime`, so clients that disagree get separate workers
 * instead of an error, and the build id when there is one (development builds), so a page of a
 * new build starts a new worker instead of joining one that runs the old code.
 */
export const workerName = (db: string, extendedLifetime: boolean, build?: string): string => `stepwise:${db}${extendedLifetime ? ':extended' : ''}${build ? `:build:${build}` : ''}`;
/** Held by a page's client until it closes or the page dies: the worker drops that client's waits then. */
export const callerLockName = (db: string, token: string): string => `stepwise:${db}:caller:${token}`;
/** Run events, worker -> every tab. */
export const eventsChannelName = (db: string): string => `stepwise:${db}:events`;

export const names = {
  /** @see workerName */
  worker: workerName,
  /** Held by every runtime instance for its life; its claims name it as owner. */
  ownerLock: (db: string, instanceId: string) => `stepwise:${db}:owner:${instanceId}`,
  /** Held by every worker for its life; pages queue on it to learn of its death. */
  aliveLock: (db: string, instanceId: string) => `stepwise:${db}:alive:${instanceId}`,
  /** One executor per database, whatever the script URL or build. */
  executorLock: (db: string) => `stepwise:${db}:executor`,
  /** Held by every executing-capable instance for its life: names the workflows and hooks it registers. */
  knowsLock: (db: string, instanceId: string, knows: Knows) => `stepwise:${db}:knows:${instanceId}:${JSON.stringify({ workflows: knows.workflows, hooks: knows.hooks })}`,
  /** The instance and names a `knowsLock` advertises, or undefined for any other lock name. */
  parseKnowsLock(db: string, name: string): (Knows & { instanceId: string }) | undefined {
    const prefix = `stepwise:${db}:knows:`;
    if (!name.startsWith(prefix)) return undefined;
    const rest = name.slice(prefix.length);
    const at = rest.indexOf(':');
    if (at <= 0) return undefined;
    try {
      const v = JSON.parse(rest.slice(at + 1)) as Partial<Knows>;
      if (!isStrings(v.workflows) || !isStrings(v.hooks)) return undefined;
      return { instanceId: rest.slice(0, at), workflows: v.workflows, hooks: v.hooks };
    } catch {
      return undefined;
    }
  },
  /** @see callerLockName */
  callerLock: callerLockName,
  /** @see eventsChannelName */
  eventsChannel: eventsChannelName,
  /** Clock control for tests, served only by a worker whose clock can be moved. */
  testChannel: (db: string) => `stepwise:${db}:testing`,
  /** Held for life by a worker that serves clock control on `testChannel`. */
  clockLock: (db: string, instanceId: string) => `stepwise:${db}:clock:${instanceId}`,
  peerChannel: (db: string) => `stepwise:${db}:peers`,
};
