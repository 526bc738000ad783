/**
 * Provider variants of an assistant message's fields, read into the OpenAI shape.
 *
 * - Typed content parts (Mistral's reasoning models, streamed and not): `content` is an array
 *   of `{ type: 'text', text }` and `{ type: 'thinking', thinking: [{ type: 'text', text }] }`
 *   parts. The text parts, joined, are the text; the thinking parts are reasoning. A part of
 *   any other type is remembered, so that an answer made only of parts Stepwise cannot read is
 *   refused instead of becoming an empty text.
 * - `reasoning_details` (OpenRouter): a list of reasoning blocks whose signature must be sent
 *   back for reasoning to survive tool-call turns. Streamed, each delta carries fragments; the
 *   list is built by concatenating them in order, where a fragment with the same `index` and
 *   `type` as the last block continues it (its `text`, `summary` or `data` appended, its
 *   `signature` and other fields set).
 */
import type { Json } from '../../core/json.ts';

type Obj = { [k: string]: Json };

export interface ContentParts {
  text: string;
  thinking: string;
  /** Types of parts that were neither text nor thinking. */
  unknown: string[];
}

/** Reads a `content` array. */
export function readContentParts(parts: readonly unknown[]): ContentParts {
  const out: ContentParts = { text: '', thinking: '', unknown: [] };
  for (const p of parts) {
    if (typeof p === 'string') {
      out.text += p;
      continue;
    }
    if (!isObj(p)) {
      out.unknown.push(typeof p);
      continue;
    }
    const type = p['type'];
    if (type === 'text' && typeof p['text'] === 'string') out.text += p['text'];
    else if (type === 'thinking') out.thinking += thinkingText(p['thinking']);
    else out.unknown.push(typeof type === 'string' ? type : 'untyped');
  }
  return out;
}

function thinkingText(v: Json | undefined): string {
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) return '';
  let s = '';
  for (const t of v) if (isObj(t) && typeof t['text'] === 'string') s += t['text'];
  return s;
}

/** Fields of a reasoning block that stream in fragments. */
const APPENDED = new Set(['text', 'summary', 'data']);

/** Adds streamed `reasoning_details` fragments to the list built so far (in place). */
export function mergeReasoningDetails(list: Json[], incoming: readonly unknown[]): void {
  for (const d of incoming) {
    if (!isObj(d)) continue;
    const last = list.at(-1);
    if (isObj(last) && typeof d['index'] === 'number' && last['index'] === d['index'] && last['type'] === d['type']) {
      for (const [k, v] of Object.entries(d)) {
        if (APPENDED.has(k) && typeof v === 'string') last[k] = (typeof last[k] === 'string' ? last[k] : '') + v;
        else if (v !== null && v !== '') last[k] = v;
        else if (!(k in last)) last[k] = v;
      }
    } else {
      list.push({ ...d });
    }
  }
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
