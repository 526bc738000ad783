/**
 * `restateRuns`: the `RemoteRuns` an app's gateway calls, over Restate's ingress only (never its
 * admin API). Every call names (owner, runId); the Restate key is derived from both (keys.ts),
 * so one owner's calls can never reach another owner's run.
 */
import { Opts, connect, type Ingress } from '@restatedev/restate-sdk-clients';
import { WorkflowError, invalidArgument } from '../core/errors.ts';
import { checkJson, type Json } from '../core/json.ts';
import { isTerminal } from '../core/types.ts';
import type { HandoffState, RemoteRuns, RemoteStatus } from './contract.ts';
import { dataObject } from './data-object.ts';
import { RUN_SERVICE, runKey } from './keys.ts';
import type { RunWorkflow } from './run-workflow.ts';

export interface RestateRunsOptions {
  /** The Restate ingress URL, e.g. `http://127.0.0.1:8080`. */
  ingressUrl: string;
  /** Headers for every ingress call (e.g. the ingress's own authentication). */
  ingressHeaders?: Record<string, string>;
  /** The workflows the service runs: their names, or the same map given to `restateServices`. */
  workflows: readonly string[] | Record<string, unknown>;
}

const runRef = { name: RUN_SERVICE } as RunWorkflow;

/** @throws WorkflowError `InvalidArgument` for a bad option */
export function restateRuns(o: RestateRunsOptions): RemoteRuns {
  if (typeof o?.ingressUrl !== 'string' || !/^https?:\/\//.test(o.ingressUrl)) throw invalidArgument('ingressUrl', 'must be an http(s) URL', o?.ingressUrl);
  const names = Object.freeze(Array.isArray(o.workflows) ? [...(o.workflows as string[])] : Object.keys(o.workflows ?? {}));
  const ingress: Ingress = connect({ url: o.ingressUrl, ...(o.ingressHeaders ? { headers: o.ingressHeaders } : {}) });
  const run = (key: string) => ingress.workflowClient(runRef, key);
  const data = (key: string) => ingress.objectClient(dataObject, key);
  const statusOf = async (key: string): Promise<RemoteStatus | undefined> => (await run(key).status()) ?? undefined;

  return {
    workflows: () => names,

    async start(owner, state) {
      const key = runKey(owner, state?.runId);
      checkHandoff(state, names);
      await data(key).init({ memo: state.memo, stepNumber: state.stepNumber, attempts: state.attempts, events: state.bufferedEvents ?? [] });
      const submission = await run(key).workflowSubmit(state);
      return { started: submission.status === 'Accepted' };
    },

    status: (owner, runId) => statusOf(runKey(owner, runId)),

    async outcome(owner, runId, waitMs) {
      const key = runKey(owner, runId);
      if (!(Number.isFinite(waitMs) && waitMs >= 0)) throw invalidArgument('waitMs', 'must be a finite number of ms >= 0', waitMs);
      const now = await statusOf(key);
      if (now === undefined || isTerminal(now.state) || waitMs === 0) return now;
      try {
        return await run(key).workflowAttach(Opts.from({ timeout: waitMs }));
      } catch {
        // Not ended within waitMs (or the wait was cut): the status as it is now.
        return statusOf(key);
      }
    },

    async cancel(owner, runId) {
      const key = runKey(owner, runId);
      const now = await statusOf(key);
      if (now === undefined || isTerminal(now.state)) return false;
      await data(key).requestCancel();
      await run(key).cancel();
      return true;
    },

    async sendEvent(owner, runId, eventKey, payload) {
      const key = runKey(owner, runId);
      if (typeof eventKey !== 'string' || eventKey.length === 0 || eventKey.length > 512) throw invalidArgument('event key', 'must be 1 to 512 characters', eventKey);
      checkJson(payload, 'event payload');
      const now = await statusOf(key);
      if (now === undefined || isTerminal(now.state)) return false;
      await data(key).sendEvent({ key: eventKey, payload: payload as Json });
      return true;
    },
  };
}

/** @throws WorkflowError `InvalidArgument` naming the bad field (nothing is started) */
function checkHandoff(s: HandoffState, names: readonly string[]): void {
  if (typeof s !== 'object' || s === null) throw invalidArgument('handoff', 'must be an object', s);
  if (!names.includes(s.workflow)) throw new WorkflowError('InvalidArgument', `this service does not run workflow ${JSON.stringify(s.workflow)}: it runs ${names.map((n) => JSON.stringify(n)).join(', ')}`, { what: 'workflow' });
  if (!Number.isSafeInteger(s.stepNumber) || s.stepNumber < 0) throw invalidArgument('handoff.stepNumber', 'must be an integer >= 0', s.stepNumber);
  if (!Number.isSafeInteger(s.attempts) || s.attempts < 0) throw invalidArgument('handoff.attempts', 'must be an integer >= 0', s.attempts);
  checkJson(s.payload, 'handoff.payload');
  if (typeof s.headers !== 'object' || s.headers === null || Object.values(s.headers).some((v) => typeof v !== 'string')) throw invalidArgument('handoff.headers', 'must be an object of strings', s.headers);
  if (!Array.isArray(s.memo)) throw invalidArgument('handoff.memo', 'must be an array', s.memo);
  if (s.bufferedEvents !== undefined && !Array.isArray(s.bufferedEvents)) throw invalidArgument('handoff.bufferedEvents', 'must be an array', s.bufferedEvents);
}
