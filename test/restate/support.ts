/**
 * One real Restate server and one in-process service endpoint per test file, and helpers to
 * hand runs to it. Node only.
 */
import '../support/with-resolvers.ts';
import type { LoggerTransport } from '@restatedev/restate-sdk';
import type { Json } from '../../src/core/json.ts';
import type { HandoffState, RemoteRuns, RemoteStatus } from '../../src/restate/contract.ts';
import { restateRuns, serveRestate, type RestateServicesOptions } from '../../src/restate.ts';
import { startRestateServer, type RestateServer } from '../support/restate-server.ts';

export interface Remote {
  server: RestateServer;
  runs: RemoteRuns;
  close(): Promise<void>;
}

/** Starts the server and serves `options.workflows` in this process. */
export async function startRemote(options: Omit<RestateServicesOptions, 'ingressUrl'>): Promise<Remote> {
  const server = await startRestateServer();
  try {
    const endpoint = await serveRestate({ ...options, ingressUrl: server.ingressUrl, logger: quietLogger });
    await server.register(endpoint.url);
    const runs = restateRuns({ ingressUrl: server.ingressUrl, workflows: options.workflows });
    return {
      server,
      runs,
      async close() {
        await endpoint.close();
        await server.stop();
      },
    };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/** The SDK's errors only (its info lines name every invocation). */
export const quietLogger: LoggerTransport = (meta, message, ...rest) => {
  if (meta.level === 'error') console.error(message, ...rest);
};

let seq = 0;
/** A fresh run id per call. */
export function newRunId(prefix = 'r'): string {
  return `${prefix}-${Date.now().toString(36)}-${++seq}`;
}

/** A hand-off of a run that has not run any step yet. */
export function handoff(workflow: string, runId: string, payload: Json, extra: Partial<HandoffState> = {}): HandoffState {
  return { runId, workflow, stepNumber: 0, attempts: 0, payload, headers: {}, submittedAt: Date.now(), memo: [], ...extra };
}

/** Waits (long-polling `outcome`) until the run ended. */
export async function ended(runs: RemoteRuns, owner: string, runId: string, totalMs = 30_000): Promise<RemoteStatus> {
  const deadline = Date.now() + totalMs;
  for (;;) {
    const s = await runs.outcome(owner, runId, 5000);
    if (s && (s.state === 'succeeded' || s.state === 'failed' || s.state === 'cancelled')) return s;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not end: ${JSON.stringify(s)}`);
  }
}

/** Polls `status` until `ok` holds. */
export async function statusUntil(runs: RemoteRuns, owner: string, runId: string, ok: (s: RemoteStatus | undefined) => boolean, totalMs = 20_000): Promise<RemoteStatus | undefined> {
  const deadline = Date.now() + totalMs;
  for (;;) {
    const s = await runs.status(owner, runId);
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`status of ${runId} never matched: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
