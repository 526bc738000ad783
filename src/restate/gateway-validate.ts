/**
 * Checks of what a browser sends the gateway. Everything arrives as untrusted JSON: each check
 * answers the first problem as a sentence that says what to send instead, or `undefined` when
 * the value is well formed. Nothing here looks at who sent it: the owner comes only from the
 * app's `authenticate`.
 */
import { idProblem } from '../core/ids.ts';
import type { HandoffState } from './contract.ts';

/** Longest event key accepted (the browser's own limit). */
const MAX_KEY_LENGTH = 512;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isKey(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_KEY_LENGTH;
}

/** The problem with a run id taken from a URL, if any. */
export function runIdProblem(runId: string): string | undefined {
  const p = idProblem(runId);
  return p === undefined ? undefined : `the run id in the URL ${p}: use the id the browser's run has`;
}

/** The problem with a hand-off body, if any. */
export function handoffProblem(body: unknown): string | undefined {
  if (!isObject(body)) return 'the body must be a JSON object: the HandoffState the browser built';
  const s = body as Partial<Record<keyof HandoffState, unknown>>;
  const idp = idProblem(s.runId);
  if (idp !== undefined) return `runId ${idp}`;
  if (typeof s.workflow !== 'string' || s.workflow.length === 0) return 'workflow must be the name of a workflow';
  if (!isCount(s.stepNumber)) return 'stepNumber must be an integer >= 0';
  if (!isCount(s.attempts)) return 'attempts must be an integer >= 0';
  if (s.maxAttempts !== undefined && (!isCount(s.maxAttempts) || s.maxAttempts < 1)) return 'maxAttempts must be an integer >= 1, or absent';
  if (!('payload' in s)) return 'payload is missing: send the step payload (null when it has none)';
  if (!isObject(s.headers) || !Object.values(s.headers).every((v) => typeof v === 'string')) return 'headers must be an object of string values';
  if (!isTime(s.submittedAt)) return 'submittedAt must be a time in ms since the epoch';
  if (s.dueAt !== undefined && !isTime(s.dueAt)) return 'dueAt, when present, must be a time in ms since the epoch';
  if (s.waiting !== undefined) {
    if (!isObject(s.waiting) || !isKey(s.waiting['key'])) return `waiting must be { key, deadline? } with a key of 1 to ${MAX_KEY_LENGTH} characters`;
    if (s.waiting['deadline'] !== undefined && !isTime(s.waiting['deadline'])) return 'waiting.deadline, when present, must be a time in ms since the epoch';
  }
  if (s.bufferedEvents !== undefined) {
    if (!Array.isArray(s.bufferedEvents) || !s.bufferedEvents.every((e) => isObject(e) && isKey(e['key']) && 'payload' in e)) {
      return 'bufferedEvents, when present, must be an array of { key, payload }';
    }
  }
  // Step numbers from -1: a workflow() run's journal lives under step -1.
  if (!Array.isArray(s.memo) || !s.memo.every((m) => isObject(m) && Number.isSafeInteger(m['stepNumber']) && (m['stepNumber'] as number) >= -1 && typeof m['key'] === 'string' && 'value' in m)) {
    return 'memo must be an array of { stepNumber (>= -1), key, value } (empty when the run has none)';
  }
  return undefined;
}

/** The problem with an event body, if any. */
export function eventProblem(body: unknown): string | undefined {
  if (!isObject(body)) return 'the body must be a JSON object { key, payload }';
  if (!isKey(body['key'])) return `key must be a string of 1 to ${MAX_KEY_LENGTH} characters`;
  if (!('payload' in body)) return 'payload is missing: send the event payload (null when it has none)';
  return undefined;
}
