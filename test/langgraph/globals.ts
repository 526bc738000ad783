/**
 * Vitest's test API as globals, for a suite written against Jest-style globals (LangGraph's
 * checkpoint validation). Import it before such a suite; globals already there are kept.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, test } from 'vitest';

const api: Record<string, unknown> = { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, test };
for (const [name, value] of Object.entries(api)) {
  if ((globalThis as Record<string, unknown>)[name] === undefined) (globalThis as Record<string, unknown>)[name] = value;
}
