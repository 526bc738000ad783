/**
 * Global setup of the Chromium project: the local OpenAI wire-format server runs in Node and
 * its base URL is provided to the browser suites (`inject('aiServerURL')`), which call it
 * over real HTTP from the page (the server's CORS is open).
 */
import type { TestProject } from 'vitest/node';
import { startOpenAiServer } from '../support/openai-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    aiServerURL: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startOpenAiServer();
  project.provide('aiServerURL', server.baseURL);
  return () => server.close();
}
