/**
 * What a page shows of an agent run, read off its conversation (the AI SDK's model messages):
 * the model's text per turn, each tool call with its input and what became of it, and the
 * names of the run's durable steps in order (one `turn n` per model turn, one `approve <tool>`
 * per approval the run waited for). The turn step stores it in the app KV with its settlement.
 */
import type { AgentView, SavedSummary, TranscriptEntry } from '../schemas.ts';

type Part = { type?: unknown; [field: string]: unknown };
type Message = { role?: unknown; content?: unknown };
type Call = Extract<TranscriptEntry, { kind: 'call' }>;

const partsOf = (m: Message): Part[] => (Array.isArray(m.content) ? (m.content as Part[]) : typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : []);

export function viewOf(messages: readonly unknown[]): AgentView {
  const steps: string[] = [];
  const transcript: TranscriptEntry[] = [];
  const calls = new Map<string, Call>();
  const approvals = new Map<string, Call>();
  let turn = 0;
  for (const m of messages as Message[]) {
    if (m.role === 'assistant') {
      turn++;
      steps.push(`turn ${turn}`);
    }
    for (const p of partsOf(m)) {
      if (m.role === 'assistant' && p.type === 'text' && typeof p['text'] === 'string' && p['text'].trim()) {
        transcript.push({ kind: 'text', turn, text: p['text'] });
      } else if (p.type === 'tool-call') {
        const call: Call = { kind: 'call', turn, id: String(p['toolCallId']), name: String(p['toolName']), input: short(JSON.stringify(p['input'] ?? {})), state: 'running' };
        calls.set(call.id, call);
        transcript.push(call);
      } else if (p.type === 'tool-approval-request') {
        const call = calls.get(String(p['toolCallId']));
        if (call) {
          call.state = 'awaiting';
          approvals.set(String(p['approvalId']), call);
        }
        steps.push(`approve ${call?.name ?? 'tool call'}`);
      } else if (p.type === 'tool-approval-response') {
        const call = approvals.get(String(p['approvalId']));
        if (call && p['approved'] === false) {
          call.state = 'rejected';
          call.output = typeof p['reason'] === 'string' ? p['reason'] : 'rejected';
        } else if (call) call.state = 'running';
      } else if (p.type === 'tool-result') {
        const call = calls.get(String(p['toolCallId']));
        if (call) settle(call, p['output']);
      }
    }
  }
  return { steps, transcript };
}

function settle(call: Call, output: unknown): void {
  const o = (typeof output === 'object' && output !== null ? output : {}) as Part;
  if (o.type === 'execution-denied') {
    call.state = 'rejected';
    call.output = typeof o['reason'] === 'string' ? o['reason'] : call.output ?? 'rejected';
  } else if (o.type === 'error-text' || o.type === 'error-json') {
    call.state = 'error';
    call.output = short(typeof o['value'] === 'string' ? o['value'] : JSON.stringify(o['value']));
  } else {
    call.state = 'done';
    call.output = short(typeof o['value'] === 'string' ? o['value'] : JSON.stringify(o['value'] ?? null));
  }
}

/** The summary the conversation's `saveSummary` call saved (it ran: approved), if any. */
export function savedSummary(messages: readonly unknown[]): SavedSummary | null {
  for (const m of messages as Message[]) {
    for (const p of partsOf(m)) {
      if (p.type !== 'tool-result' || p['toolName'] !== 'saveSummary') continue;
      const o = p['output'] as Part | undefined;
      const v = o?.type === 'json' ? (o['value'] as Part | null) : null;
      if (v && v['saved'] === true && typeof v['title'] === 'string' && typeof v['text'] === 'string') return { title: v['title'], text: v['text'] };
    }
  }
  return null;
}

function short(text: string, max = 400): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
