/**
 * External stores for `useSyncExternalStore`: one per hook instance, watching the client while
 * React is subscribed and holding an immutable snapshot (a new object on every change, the same
 * object otherwise, as React requires). Nothing runs until `subscribe`, so a server render,
 * which only reads the server snapshot, starts no watch and makes no call.
 */
import type { ListQuery, RunEvent, RunStatus } from '../core/types.ts';

/** What the hooks need of a client: `connect()`'s client, typed or not, has it. */
export interface RunsClient<S extends RunStatusLike = RunStatus> {
  watch(runId: string, listener: (status: S, event: RunEvent) => void): () => void;
  status(runId: string): Promise<S | undefined>;
  list(query?: ListQuery): Promise<{ runs: S[]; cursor?: string }>;
}

/** The fields of a status the stores read. */
export interface RunStatusLike {
  runId: string;
  workflow: string;
  state: RunStatus['state'];
  updatedAt: number;
}

/** What `useRun` renders from. */
export interface RunView<S = RunStatus> {
  /** The run's latest status; `undefined` while loading, for a run that does not exist, or without a run id. */
  readonly status: S | undefined;
  /** True until the first status answer (or event) arrived. */
  readonly loading: boolean;
  /** The error of the last failed `status` call (a reconnecting client rejects `Unavailable`), if any. */
  readonly error: unknown;
}

/** What `useRuns` renders from. */
export interface RunsView<S = RunStatus> {
  /** The runs `list(query)` answers, kept current: most recently changed first. */
  readonly runs: readonly S[];
  readonly loading: boolean;
  /** The cursor of the next page, as `list` answered it. */
  readonly cursor: string | undefined;
  readonly error: unknown;
}

export interface ExternalStore<T> {
  subscribe(onChange: () => void): () => void;
  getSnapshot(): T;
  getServerSnapshot(): T;
}

export const NO_RUN: RunView<never> = Object.freeze({ status: undefined, loading: false, error: undefined });
const LOADING_RUN: RunView<never> = Object.freeze({ status: undefined, loading: true, error: undefined });
const LOADING_RUNS: RunsView<never> = Object.freeze({ runs: Object.freeze([]), loading: true, cursor: undefined, error: undefined });

/** Runs `start` while anyone is subscribed; `start` returns how to stop. */
function store<T>(initial: T, server: T, start: (set: (next: T) => void, get: () => T) => () => void): ExternalStore<T> {
  let view = initial;
  const listeners = new Set<() => void>();
  let stop: (() => void) | undefined;
  const set = (next: T) => {
    view = next;
    for (const l of [...listeners]) l();
  };
  return {
    subscribe(onChange) {
      listeners.add(onChange);
      if (listeners.size === 1) {
        // Each subscription period gets its own `set`: answers of a stopped period are dropped.
        let live = true;
        const stopInner = start((next) => live && set(next), () => view);
        stop = () => {
          live = false;
          stopInner();
        };
      }
      return () => {
        listeners.delete(onChange);
        if (listeners.size === 0) {
          stop?.();
          stop = undefined;
        }
      };
    },
    getSnapshot: () => view,
    getServerSnapshot: () => server,
  };
}

/** One run's status: a `watch` (every tab's changes) plus one `status` call for the state at subscribe. */
export function runStore<S extends RunStatusLike>(client: RunsClient<S>, runId: string): ExternalStore<RunView<S>> {
  return store<RunView<S>>(LOADING_RUN, LOADING_RUN, (set, get) => {
    const unwatch = client.watch(runId, (status) => set({ status, loading: false, error: undefined }));
    client.status(runId).then(
      (status) => {
        const seen = get().status;
        // An event may have brought a newer status while the call was in flight: keep it.
        if (seen && (!status || status.updatedAt <= seen.updatedAt)) {
          if (get().loading) set({ ...get(), loading: false });
        } else set({ status, loading: false, error: undefined });
      },
      (error: unknown) => set({ ...get(), loading: false, error }),
    );
    return unwatch;
  });
}

/**
 * The runs `list(query)` answers, kept current from a '*' watch: a listed run's new status
 * replaces it in place (re-sorted, most recently changed first); a run that enters or leaves the
 * query's filter, or any change while paging with a cursor, lists again (one call at a time,
 * coalescing the changes that arrive meanwhile).
 */
export function runsStore<S extends RunStatusLike>(client: RunsClient<S>, query: ListQuery | undefined): ExternalStore<RunsView<S>> {
  return store<RunsView<S>>(LOADING_RUNS, LOADING_RUNS, (set, get) => {
    let inFlight = false;
    let again = false;
    let stopped = false;
    const refetch = () => {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      client
        .list(query)
        .then(
          (out) => set({ runs: out.runs, cursor: out.cursor, loading: false, error: undefined }),
          (error: unknown) => set({ ...get(), loading: false, error }),
        )
        .finally(() => {
          inFlight = false;
          if (again && !stopped) {
            again = false;
            refetch();
          }
        });
    };
    const unwatch = client.watch('*', (status, event) => {
      const { runs } = get();
      const i = runs.findIndex((r) => r.runId === status.runId);
      const listed = i >= 0 ? runs[i]! : undefined;
      const matches = matchesQuery(query, status);
      if (listed && matches && query?.cursor === undefined) {
        if (status.updatedAt < listed.updatedAt) return;
        const next = runs.slice();
        next[i] = status;
        if (status.updatedAt !== listed.updatedAt) next.sort(byRecency);
        set({ ...get(), runs: next });
      } else if (event.type === 'status' && (listed !== undefined || matches)) refetch();
    });
    refetch();
    return () => {
      stopped = true;
      unwatch();
    };
  });
}

function matchesQuery(query: ListQuery | undefined, s: RunStatusLike): boolean {
  if (query?.workflow !== undefined && s.workflow !== query.workflow) return false;
  if (query?.state === undefined) return true;
  return Array.isArray(query.state) ? query.state.includes(s.state) : query.state === s.state;
}

/** `list`'s order: most recently changed first, then run id descending. */
function byRecency(a: RunStatusLike, b: RunStatusLike): number {
  return b.updatedAt - a.updatedAt || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0);
}
