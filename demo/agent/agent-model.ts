/**
 * The language model of the "agent with tools" mode, per run backend:
 * - built-in models: the scripted model (scripted-model.ts), because the built-in tiny
 *   generator cannot choose tools;
 * - an OpenAI-compatible endpoint: the AI SDK's own `@ai-sdk/openai-compatible` provider, which
 *   really chooses the tools. Its key comes from a page over the control channel and stays in
 *   this worker's memory (the provider's configuration); `secrets` lets `durableModel` redact
 *   it from any stored error message.
 */
import type { LanguageModelV4 } from '@ai-sdk/provider';
import type { Step } from 'stepwise/worker';
import type { Backend } from '../schemas.ts';
import { controlledFetch, waitForKey } from './control.ts';
import { scriptedModel } from './scripted-model.ts';

export interface AgentModel {
  model: LanguageModelV4;
  /** Strings to keep out of stored error messages (the API key). */
  secrets: string[];
  scripted: boolean;
}

/** Waits for the endpoint's key first when it needs one (after a reload the person enters it again). */
export async function agentModel(step: Step, backend: Backend): Promise<AgentModel> {
  if (backend.kind === 'local') return { model: scriptedModel(), secrets: [], scripted: true };
  const apiKey = backend.needsKey ? await waitForKey(backend.baseURL, step.signal) : undefined;
  const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
  const provider = createOpenAICompatible({ name: 'endpoint', baseURL: backend.baseURL, ...(apiKey ? { apiKey } : {}), fetch: controlledFetch });
  return { model: provider.chatModel(backend.model), secrets: apiKey ? [apiKey] : [], scripted: false };
}
