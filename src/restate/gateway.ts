/**
 * The app's hand-off gateway: the only HTTP surface a browser reaches for its remote runs. It
 * authenticates every request through the app's `authenticate` (a cookie or session the app
 * already has), maps it to an owner, and calls `RemoteRuns` with that owner only. The owner never
 * comes from a body or a URL, so a caller can only name its own runs: another owner's run is
 * answered exactly like a missing one (404).
 *
 * Routes under `basePath`, JSON in and out:
 * - `GET  /workflows`                the workflows the server runs: `{ workflows }`
 * - `POST /runs`                     hand off (body: `HandoffState`): `{ started }`; idempotent on the run id
 * - `GET  /runs/:id`                 the run's `RemoteStatus`
 * - `GET  /runs/:id/outcome?waitMs=` waits up to `waitMs` (capped) for the run to end: its `RemoteStatus`
 * - `POST /runs/:id/cancel`          `{ cancelled }`
 * - `POST /runs/:id/events`          body `{ key, payload }`: `{ delivered }`
 *
 * Errors: `{ error, message }` with 400 (bad input), 401 (not authenticated), 404 (no such run
 * for this caller), 405, 413 (body too large), 422 (a workflow the server does not run).
 */
import type { Json } from '../core/json.ts';
import type { RemoteRuns } from './contract.ts';
import { eventProblem, handoffProblem, runIdProblem } from './gateway-validate.ts';

export interface GatewayOptions {
  runs: RemoteRuns;
  /** The caller's owner id (e.g. the signed-in user), or `undefined` to answer 401. Never throws for a bad caller: answer undefined. */
  authenticate(request: Request): Promise<string | undefined>;
  /** The path the routes live under, e.g. '/stepwise'. @default '' */
  basePath?: string;
  /** Longest outcome long-poll in ms; a larger `waitMs` is cut to it. @default 25000 */
  maxWaitMs?: number;
  /** Largest request body in bytes. @default 8 MiB */
  maxBodyBytes?: number;
  /**
   * Origins of pages served elsewhere that may call the gateway with their cookies (CORS with
   * credentials). Same-origin pages need none. @default []
   */
  allowOrigins?: readonly string[];
}

/** A fetch-style handler: one `Request` in, one `Response` out. */
export type GatewayHandler = (request: Request) => Promise<Response>;

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const NOT_FOUND = (runId: string) => new HttpError(404, 'RunNotFound', `no handed-off run ${runId} for this caller: check the run id, and that you are signed in as the user who handed it off`);

/**
 * Builds the gateway's handler.
 * @throws TypeError for missing `runs` or `authenticate`
 */
export function createGateway(options: GatewayOptions): GatewayHandler {
  const { runs, authenticate } = options;
  if (typeof runs !== 'object' || runs === null || typeof authenticate !== 'function') throw new TypeError('createGateway needs { runs: RemoteRuns, authenticate(request) }');
  const base = (options.basePath ?? '').replace(/\/+$/, '');
  const maxWaitMs = options.maxWaitMs ?? 25_000;
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const origins = new Set(options.allowOrigins ?? []);

  const cors = (request: Request): Record<string, string> => {
    const origin = request.headers.get('origin');
    if (origin === null || !origins.has(origin)) return {};
    return { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'Origin' };
  };

  const route = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (!url.pathname.startsWith(`${base}/`)) throw new HttpError(404, 'NotFound', `no route ${url.pathname}: the gateway serves ${base}/runs and ${base}/workflows`);
    const parts = url.pathname.slice(base.length + 1).split('/').map(decodeURIComponent);
    const method = request.method;
    const owner = await authenticate(request);
    if (owner === undefined) throw new HttpError(401, 'Unauthenticated', 'sign in first: the gateway accepts only authenticated callers');

    if (parts.length === 1 && parts[0] === 'workflows') {
      allow(method, 'GET');
      return json(200, { workflows: [...runs.workflows()] });
    }
    if (parts[0] !== 'runs') throw new HttpError(404, 'NotFound', `no route ${url.pathname}: the gateway serves ${base}/runs and ${base}/workflows`);
    if (parts.length === 1) {
      allow(method, 'POST');
      const body = await readBody(request, maxBodyBytes);
      const problem = handoffProblem(body);
      if (problem !== undefined) throw new HttpError(400, 'InvalidHandoff', problem);
      const state = body as Parameters<RemoteRuns['start']>[1];
      if (!runs.workflows().includes(state.workflow)) {
        throw new HttpError(422, 'UnknownWorkflow', `this server does not run workflow ${JSON.stringify(state.workflow)}: deploy it to the service, or keep the run in the browser`);
      }
      const out = await runs.start(owner, state);
      return json(out.started ? 201 : 200, { started: out.started });
    }
    const runId = parts[1]!;
    const idp = runIdProblem(runId);
    if (idp !== undefined) throw new HttpError(400, 'InvalidRunId', idp);
    if (parts.length === 2) {
      allow(method, 'GET');
      const s = await runs.status(owner, runId);
      if (!s) throw NOT_FOUND(runId);
      return json(200, s);
    }
    if (parts.length === 3 && parts[2] === 'outcome') {
      allow(method, 'GET');
      const raw = url.searchParams.get('waitMs');
      const wait = raw === null ? 0 : Number(raw);
      if (!(Number.isFinite(wait) && wait >= 0)) throw new HttpError(400, 'InvalidArgument', 'waitMs must be a number of ms >= 0');
      const s = await runs.outcome(owner, runId, Math.min(wait, maxWaitMs));
      if (!s) throw NOT_FOUND(runId);
      return json(200, s);
    }
    if (parts.length === 3 && parts[2] === 'cancel') {
      allow(method, 'POST');
      if (!(await runs.status(owner, runId))) throw NOT_FOUND(runId);
      return json(200, { cancelled: await runs.cancel(owner, runId) });
    }
    if (parts.length === 3 && parts[2] === 'events') {
      allow(method, 'POST');
      const body = await readBody(request, maxBodyBytes);
      const problem = eventProblem(body);
      if (problem !== undefined) throw new HttpError(400, 'InvalidEvent', problem);
      if (!(await runs.status(owner, runId))) throw NOT_FOUND(runId);
      const { key, payload } = body as { key: string; payload: Json };
      return json(200, { delivered: await runs.sendEvent(owner, runId, key, payload) });
    }
    throw new HttpError(404, 'NotFound', `no route ${url.pathname}`);
  };

  return async (request) => {
    const headers = cors(request);
    if (request.method === 'OPTIONS') {
      // A CORS preflight: allowed origins only, and it reveals nothing about any run.
      if (!headers['access-control-allow-origin']) return new Response(null, { status: 403 });
      return new Response(null, { status: 204, headers: { ...headers, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' } });
    }
    let res: Response;
    try {
      res = await route(request);
    } catch (e) {
      // Anything else is the server's trouble: its text stays in the server's logs, not in the answer.
      res = e instanceof HttpError ? json(e.status, { error: e.code, message: e.message }) : json(500, { error: 'Internal', message: 'the gateway failed: try again later' });
    }
    for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
    return res;
  };
}

function allow(method: string, expected: 'GET' | 'POST'): void {
  if (method !== expected) throw new HttpError(405, 'MethodNotAllowed', `use ${expected} here`);
}

async function readBody(request: Request, maxBytes: number): Promise<unknown> {
  const text = await request.text();
  if (text.length > maxBytes) throw new HttpError(413, 'PayloadTooLarge', `the body exceeds ${maxBytes} bytes`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'InvalidJson', 'the body must be JSON (Content-Type: application/json)');
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}
