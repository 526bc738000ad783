/**
 * The `handoffs` table: one record per run handed off to a server, from the transaction that
 * hands it off to the one that lands its outcome. While it exists the run is remote: its run
 * record stays `active` without a step job (so no executor claims it, and no recovery, reaper
 * or sweeper finds anything of it to bring back), and its status is the server's as last seen.
 */
import { checkMs } from '../core/check.ts';
import { invalidArgument } from '../core/errors.ts';
import type { RunStatus } from '../core/types.ts';
import type { HandoffState, RemoteStatus } from '../restate/contract.ts';
import type { Tx } from '../store/tx.ts';
import type { FetchLike } from './gateway-client.ts';
import { toStatus, type RunRecord } from './records.ts';

/** What the browser last saw of a remote run (never terminal: a terminal one is landed). */
export type SeenStatus = Pick<RemoteStatus, 'state' | 'stepNumber' | 'attempts' | 'updatedAt' | 'eventKey' | 'wakeAt' | 'progress'>;

export interface HandoffRecord {
  runId: string;
  /** The run instance handed off (a later run that reuses the id is another one). */
  instanceId: string | undefined;
  /** The gateway, absolute. Nothing about credentials is ever stored. */
  url: string;
  /** 'sending' until the gateway acknowledged the hand-off, then 'remote'. */
  phase: 'sending' | 'remote';
  since: number;
  /** The hand-off's body, kept while 'sending' (a retry sends the same), dropped once acknowledged. */
  state?: HandoffState;
  seen: SeenStatus;
}

/** How the worker talks to gateways (`RuntimeOptions.handoff`). */
export interface HandoffOptions {
  /** The fetch used for gateway calls. @default globalThis.fetch */
  fetch?: FetchLike;
  /** How often a remote run's status (and progress) is read while it is live, in ms. @default 1000 */
  statusPollMs?: number;
  /** The longest outcome long-poll asked of the gateway, in ms. @default 20000 */
  outcomeWaitMs?: number;
  /** First wait after a failed gateway call, doubled up to 60 s, in ms. @default 1000 */
  retryMs?: number;
}

export type ResolvedHandoffOptions = Required<HandoffOptions>;

/** @throws `InvalidArgument` naming the bad option */
export function resolveHandoffOptions(o: HandoffOptions | undefined): ResolvedHandoffOptions {
  if (o !== undefined && (typeof o !== 'object' || o === null)) throw invalidArgument('handoff', 'must be an object', o);
  const ms = (v: unknown, what: string, d: number): number => {
    if (v === undefined) return d;
    checkMs(v, `handoff.${what}`, 1);
    return v;
  };
  const f = o?.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init));
  if (typeof f !== 'function') throw invalidArgument('handoff.fetch', 'must be a function', f);
  return {
    fetch: f,
    statusPollMs: ms(o?.statusPollMs, 'statusPollMs', 1000),
    outcomeWaitMs: ms(o?.outcomeWaitMs, 'outcomeWaitMs', 20_000),
    retryMs: ms(o?.retryMs, 'retryMs', 1000),
  };
}

export function getHandoff(t: Tx, runId: string): Promise<HandoffRecord | undefined> {
  return t.get<HandoffRecord>('handoffs', runId);
}

/** The status of a handed-off run: its own record's fields, the server's step fields, and where it went. */
export function remoteView(run: RunRecord, rec: HandoffRecord): RunStatus {
  const s = toStatus(run, undefined);
  const seen = rec.seen;
  s.state = seen.state;
  s.stepNumber = seen.stepNumber;
  s.attempts = seen.attempts;
  s.updatedAt = Math.max(run.updatedAt, seen.updatedAt);
  delete s.progress;
  if (seen.eventKey !== undefined && seen.state === 'waiting') s.eventKey = seen.eventKey;
  if (seen.wakeAt !== undefined && (seen.state === 'waiting' || seen.state === 'scheduled')) s.wakeAt = seen.wakeAt;
  if (seen.progress && seen.progress.stepNumber === seen.stepNumber) s.progress = seen.progress.update;
  s.remote = { url: rec.url, since: rec.since };
  return s;
}
