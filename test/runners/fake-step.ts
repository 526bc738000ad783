/**
 * A detached `Step` for unit tests of the LLM runner: an in-memory memo (content keys hashed
 * like the runtime's), a progress log, a lease that records its extensions (or fails like a
 * lost claim), and an abort controller. Tests that need the real runtime use freshRuntime.
 */
import { WorkflowError } from '../../src/core/errors.ts';
import { hashJson, type Json } from '../../src/core/json.ts';
import type { LeaseHandle, Memo, Step } from '../../src/runtime/types.ts';

export interface FakeStep extends Step {
  readonly progressLog: Json[];
  readonly extensions: number[];
  readonly memoEntries: Map<string, Json>;
  readonly controller: AbortController;
  /** Makes every later `lease.extend` reject with this error name. */
  failLease(name: 'ClaimLost' | 'CancelRequested'): void;
}

export function fakeStep(init: { memo?: Map<string, Json>; attempts?: number; stepNumber?: number } = {}): FakeStep {
  const memoEntries = init.memo ?? new Map<string, Json>();
  const progressLog: Json[] = [];
  const extensions: number[] = [];
  const controller = new AbortController();
  let leaseFailure: 'ClaimLost' | 'CancelRequested' | undefined;
  const memo: Memo = {
    async get(key) {
      return memoEntries.get(`k:${key}`);
    },
    async put(key, value) {
      memoEntries.set(`k:${key}`, structuredClone(value));
    },
    async contentGet(input) {
      return memoEntries.get(`c:${await hashJson(input)}`);
    },
    async contentPut(input, value) {
      memoEntries.set(`c:${await hashJson(input)}`, structuredClone(value));
    },
  };
  const lease: LeaseHandle = {
    expiresAt: 0,
    async extend(ms) {
      if (leaseFailure) throw new WorkflowError(leaseFailure, `lease: ${leaseFailure}`);
      extensions.push(ms);
    },
  };
  return {
    runId: 'run-1',
    workflow: 'wf',
    stepNumber: init.stepNumber ?? 0,
    payload: null,
    headers: {},
    jobId: 'job-1',
    attempts: init.attempts ?? 1,
    signal: controller.signal,
    memo,
    effects: { put() {}, delete() {} },
    lease,
    progress(update) {
      progressLog.push(structuredClone(update));
    },
    progressLog,
    extensions,
    memoEntries,
    controller,
    failLease(name) {
      leaseFailure = name;
    },
  };
}
