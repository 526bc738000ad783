/**
 * `restateServices` / `serveRestate`: the app's workflow definitions, unchanged, served as
 * Restate services (Node >= 22). The service process is stateless: every run's state lives in
 * Restate, so any number of these processes may serve one server (or cluster), and one may be
 * killed at any time: its steps run again elsewhere, answering from their memo.
 */
import { createServer, type Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import * as restate from '@restatedev/restate-sdk';
import type { LoggerTransport } from '@restatedev/restate-sdk';
import { connect } from '@restatedev/restate-sdk-clients';
import { invalidArgument } from '../core/errors.ts';
import { checkInt, checkMs } from '../core/check.ts';
import { retryPolicy, type RetryPolicy } from '../core/retry.ts';
import type { AnyWorkflow } from '../functions/definition.ts';
import { isWorkflowEntry } from '../functions/runner.ts';
import type { StepRunner, TerminalHook } from '../runtime/types.ts';
import { dataObject } from './data-object.ts';
import { runWorkflow } from './run-workflow.ts';

const DAY = 24 * 3600 * 1000;

export interface RestateServicesOptions {
  /** Workflow name -> a `StepRunner` or a `workflow()` definition: the same map the worker's `serve()` gets. */
  workflows: Record<string, StepRunner | AnyWorkflow>;
  /** Terminal hooks: each runs once per remote run end. */
  hooks?: TerminalHook[];
  /**
   * The Restate ingress URL as this process reaches it (steps read and write their memo and
   * progress through it).
   */
  ingressUrl: string;
  /** Headers for those ingress calls (e.g. the ingress's own authentication). */
  ingressHeaders?: Record<string, string>;
  /** Per-step retries. @default the browser runtime's: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 300000, jitter: 0.2 } */
  retry?: Partial<RetryPolicy>;
  /** Largest payload, result, memo or KV value, as UTF-8 JSON. @default 1 MiB */
  maxPayloadBytes?: number;
  /** Least time between two progress writes of a step, in ms. @default 250 */
  progressIntervalMs?: number;
  /** How long Restate keeps an ended run's status and outcome, in ms. @default 30 days */
  retentionMs?: number;
}

/**
 * The Restate service definitions (the run workflow and its data object) to serve from any
 * Restate endpoint (`createEndpointHandler`, Lambda, …), or through `serveRestate`.
 * @throws WorkflowError `InvalidArgument` naming the bad option
 */
export function restateServices(o: RestateServicesOptions): [ReturnType<typeof runWorkflow>, typeof dataObject] {
  if (typeof o !== 'object' || o === null) throw invalidArgument('options', 'must be an object', o);
  if (typeof o.workflows !== 'object' || o.workflows === null) throw invalidArgument('workflows', 'must be an object of name -> runner', o.workflows);
  for (const [name, w] of Object.entries(o.workflows)) {
    if (!isWorkflowEntry(w)) throw invalidArgument(`workflows.${name}`, 'must be a function (step) => Promise<StepOutcome> or a workflow() definition', w);
  }
  if (typeof o.ingressUrl !== 'string' || !/^https?:\/\//.test(o.ingressUrl)) throw invalidArgument('ingressUrl', 'must be an http(s) URL', o.ingressUrl);
  const hooks = o.hooks ?? [];
  if (!Array.isArray(hooks) || hooks.some((h) => typeof h?.onTerminal !== 'function' || typeof h.name !== 'string')) throw invalidArgument('hooks', 'must be an array of { name, onTerminal }', hooks);
  const maxPayloadBytes = o.maxPayloadBytes ?? 1024 * 1024;
  checkInt(maxPayloadBytes, 'maxPayloadBytes', 1);
  const progressIntervalMs = o.progressIntervalMs ?? 250;
  checkMs(progressIntervalMs, 'progressIntervalMs');
  const retentionMs = o.retentionMs ?? 30 * DAY;
  checkMs(retentionMs, 'retentionMs', 1);
  const ingress = connect({ url: o.ingressUrl, ...(o.ingressHeaders ? { headers: o.ingressHeaders } : {}) });
  const run = runWorkflow({ ingress, workflows: o.workflows, hooks, retry: retryPolicy(o.retry), maxPayloadBytes, progressIntervalMs, retentionMs });
  return [run, dataObject];
}

export interface ServeRestateOptions extends RestateServicesOptions {
  /** The port to listen on (127.0.0.1 unless `host` says otherwise). @default 0: a free one */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Request identity keys (`publickeyv1_…`): when given, only a server holding the private key may call. */
  identityKeys?: string[];
  /** Where the SDK's logs go. @default the SDK's console logger (level from `RESTATE_LOGGING`) */
  logger?: LoggerTransport;
}

export interface RestateEndpoint {
  /** The URL to register with the Restate server (`POST /deployments { uri }` on its admin API). */
  url: string;
  /** Stops listening and closes open connections (Restate retries what ran on them elsewhere). */
  close(): Promise<void>;
}

/**
 * Serves the services over HTTP/2 (the protocol the Restate server calls endpoints with).
 * @throws WorkflowError `InvalidArgument` as `restateServices`; the listen error when the port is taken
 */
export async function serveRestate(o: ServeRestateOptions): Promise<RestateEndpoint> {
  const services = restateServices(o);
  const handler = restate.createEndpointHandler({ services, ...(o.identityKeys ? { identityKeys: o.identityKeys } : {}), ...(o.logger ? { logger: o.logger } : {}) });
  const server = createServer(handler);
  const sessions = new Set<Http2Session>();
  server.on('session', (s: Http2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}
