/**
 * The worker's side of the hand-off gateway's HTTP routes (see restate/gateway.ts). Requests
 * carry the page's cookies (`credentials: 'include'`): the app authenticates the caller, and
 * the browser stores nothing but the gateway's URL. Answers map to named errors: no network or
 * a 5xx is `Unavailable` (try again), 401/403/422 `HandoffRefused`, 400 `InvalidArgument`; a 404
 * is "no such run for this caller" and comes back as `undefined`.
 */
import { WorkflowError } from '../core/errors.ts';
import type { Json } from '../core/json.ts';
import type { HandoffState, RemoteStatus } from '../restate/contract.ts';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface GatewayClient {
  readonly url: string;
  workflows(): Promise<readonly string[]>;
  start(state: HandoffState, signal?: AbortSignal): Promise<{ started: boolean }>;
  status(runId: string, signal?: AbortSignal): Promise<RemoteStatus | undefined>;
  outcome(runId: string, waitMs: number, signal?: AbortSignal): Promise<RemoteStatus | undefined>;
  cancel(runId: string): Promise<boolean | undefined>;
  sendEvent(runId: string, key: string, payload: Json): Promise<boolean | undefined>;
}

export function gatewayClient(url: string, fetchFn: FetchLike): GatewayClient {
  const call = async <T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T | undefined> => {
    const { json, ...rest } = init;
    let res: Response;
    try {
      res = await fetchFn(`${url}${path}`, {
        ...rest,
        credentials: 'include',
        ...(json !== undefined ? { method: 'POST', body: JSON.stringify(json), headers: { 'content-type': 'application/json' } } : {}),
      });
    } catch (e) {
      if (rest.signal?.aborted) throw e;
      throw new WorkflowError('Unavailable', `the hand-off gateway ${url} could not be reached: check the URL and the network, then try again`, { url });
    }
    if (res.status === 404) return undefined;
    const body = (await res.json().catch(() => undefined)) as { message?: unknown } | undefined;
    if (res.ok) return body as T;
    const said = typeof body?.message === 'string' ? `: ${body.message.slice(0, 300)}` : '';
    if (res.status === 401 || res.status === 403 || res.status === 422) {
      throw new WorkflowError('HandoffRefused', `the hand-off gateway ${url} refused the call (HTTP ${res.status})${said}`, { url, status: res.status });
    }
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
      throw new WorkflowError('InvalidArgument', `the hand-off gateway ${url} rejected the request (HTTP ${res.status})${said}`, { url, status: res.status });
    }
    throw new WorkflowError('Unavailable', `the hand-off gateway ${url} answered HTTP ${res.status}${said}: try again later`, { url, status: res.status });
  };
  const run = (runId: string) => `/runs/${encodeURIComponent(runId)}`;
  return {
    url,
    async workflows() {
      const out = await call<{ workflows?: unknown }>('/workflows');
      if (!out || !Array.isArray(out.workflows)) throw new WorkflowError('HandoffRefused', `${url} is not a hand-off gateway (no ${url}/workflows): check the URL`, { url });
      return out.workflows.filter((w): w is string => typeof w === 'string');
    },
    async start(state, signal) {
      const out = await call<{ started: boolean }>('/runs', { json: state, ...(signal ? { signal } : {}) });
      if (!out) throw new WorkflowError('HandoffRefused', `${url} is not a hand-off gateway (no ${url}/runs): check the URL`, { url });
      return out;
    },
    status: (runId, signal) => call<RemoteStatus>(run(runId), signal ? { signal } : {}),
    outcome: (runId, waitMs, signal) => call<RemoteStatus>(`${run(runId)}/outcome?waitMs=${Math.max(0, Math.floor(waitMs))}`, signal ? { signal } : {}),
    cancel: async (runId) => (await call<{ cancelled: boolean }>(`${run(runId)}/cancel`, { json: {} }))?.cancelled,
    sendEvent: async (runId, key, payload) => (await call<{ delivered: boolean }>(`${run(runId)}/events`, { json: { key, payload } }))?.delivered,
  };
}
