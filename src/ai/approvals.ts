/**
 * Tool approvals, parked durably. The AI SDK (`ai` 6 and 7) already knows approvals: a tool
 * with `needsApproval` (or `ai` 7's `toolApproval` option) is not executed; the call returns
 * a `tool-approval-request` in the assistant message instead, and the next call executes the
 * tool (approved) or sends the model an `execution-denied` tool result (rejected) once the
 * conversation carries a `tool-approval-response`.
 *
 * A step runner turns each pending request into `Outcome.waitForEvent(approvalKey(runId,
 * toolCallId), …)`: the run waits in IndexedDB, and any tab answers it with
 * `sendEvent(approvalKey(runId, toolCallId), decision)`. The next step adds the decision to the
 * conversation (`withApprovalResponse`) and calls the model again. `agentWorkflow` does all
 * this; these helpers are for runners of your own.
 *
 * A decision is `true` / `false`, or `{ approved: boolean, reason?: string }`; `null` (the
 * wait timed out) or anything else is a rejection.
 */
import type { Json } from '../core/json.ts';

/** The event key a pending approval waits on: `approval:<runId>:<toolCallId>`. */
export function approvalKey(runId: string, toolCallId: string): string {
  return `approval:${runId}:${toolCallId}`;
}

export interface PendingApproval {
  approvalId: string;
  toolCallId: string;
  toolName: string;
  input: unknown;
}

type Part = { type?: unknown; [field: string]: unknown };
type Message = { role?: unknown; content?: unknown };

const partsOf = (m: Message): Part[] => (Array.isArray(m.content) ? (m.content as Part[]) : []);

/** The approval requests in `messages` that no `tool-approval-response` answers yet, in order. */
export function pendingApprovals(messages: readonly unknown[]): PendingApproval[] {
  const calls = new Map<string, Part>();
  const requests: Part[] = [];
  const answered = new Set<string>();
  for (const m of messages as Message[]) {
    for (const p of partsOf(m)) {
      if (p.type === 'tool-call') calls.set(String(p['toolCallId']), p);
      else if (p.type === 'tool-approval-request') requests.push(p);
      else if (p.type === 'tool-approval-response') answered.add(String(p['approvalId']));
    }
  }
  return requests
    .filter((r) => !answered.has(String(r['approvalId'])) && r['isAutomatic'] !== true)
    .map((r) => {
      const call = calls.get(String(r['toolCallId']));
      return { approvalId: String(r['approvalId']), toolCallId: String(r['toolCallId']), toolName: String(call?.['toolName'] ?? ''), input: call?.['input'] };
    });
}

/** `{ approved, reason? }` from an event payload (see the module comment). */
export function approvalDecision(payload: Json | null | undefined): { approved: boolean; reason?: string } {
  if (payload === true || payload === false) return { approved: payload };
  if (payload === null || payload === undefined) return { approved: false, reason: 'no decision arrived in time' };
  if (typeof payload === 'object' && !Array.isArray(payload) && typeof payload['approved'] === 'boolean') {
    const reason = payload['reason'];
    return typeof reason === 'string' ? { approved: payload['approved'], reason } : { approved: payload['approved'] };
  }
  return { approved: false, reason: 'the decision was not understood' };
}

/**
 * `messages` with the decision on `approvalId` appended as a `tool-approval-response`, in the
 * trailing tool message (where the SDK collects the answers of the last assistant turn).
 */
export function withApprovalResponse<M>(messages: readonly M[], approvalId: string, decision: { approved: boolean; reason?: string }): M[] {
  const part = { type: 'tool-approval-response', approvalId, approved: decision.approved, ...(decision.reason !== undefined ? { reason: decision.reason } : {}) };
  const out = [...messages];
  const last = out[out.length - 1] as Message | undefined;
  if (last && last.role === 'tool' && Array.isArray(last.content)) out[out.length - 1] = { ...last, content: [...(last.content as unknown[]), part] } as M;
  else out.push({ role: 'tool', content: [part] } as M);
  return out;
}
