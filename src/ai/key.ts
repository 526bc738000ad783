/**
 * The memo key of a model call. A call is identified by what it asks, never by how it travels:
 *
 *   `ai:model:` + hex SHA-256 of the canonical JSON (object keys sorted at every level) of
 *   { v: 1, type: 'generate' | 'stream', provider, modelId, memoKey, params }
 *
 * where `params` are the SDK's call options (prompt, tools, tool choice, sampling settings,
 * response format, provider options, …) as `encodeJson` writes them, WITHOUT `abortSignal`
 * and `headers`: request headers may carry credentials and never reach storage, and neither
 * changes the answer. A streamed and a generated call are different calls (their records
 * differ). `memoKey` (default '') tells apart two calls with the same parameters in one step.
 */
import { hashJson, type Json } from '../core/json.ts';
import { encodeJson } from './codec.ts';

/** Call options left out of the key. */
const TRANSPORT = new Set(['abortSignal', 'headers']);

export interface CallIdentity {
  type: 'generate' | 'stream';
  provider: string;
  modelId: string;
  memoKey: string;
  params: object;
}

export async function callKey(call: CallIdentity): Promise<string> {
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(call.params)) if (!TRANSPORT.has(k)) params[k] = v;
  const doc: Json = { v: 1, type: call.type, provider: call.provider, modelId: call.modelId, memoKey: call.memoKey, params: encodeJson(params) };
  return `ai:model:${await hashJson(doc)}`;
}
