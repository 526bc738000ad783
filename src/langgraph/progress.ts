/**
 * What a graph run shows in every tab (`step.progress`), read from LangGraph's `updates` and
 * `messages` stream modes. Progress keeps only its latest value, so a node's streamed text is
 * reported whole (everything so far), not as the last token alone.
 */
import type { Json } from '../core/json.ts';

export type LangGraphProgress =
  /** A node finished (its writes are saved: it will not run again). */
  | { type: 'node'; node: string }
  /** The text a node's model call has streamed so far. */
  | { type: 'token'; node: string; text: string }
  /** The run is parked on `interrupt()`: `value` is what the node asked, `key` the event to send. */
  | { type: 'interrupt'; key: string; value: Json };

export async function streamProgress(stream: AsyncIterable<unknown>, report: (p: LangGraphProgress) => void): Promise<void> {
  const text = new Map<string, string>();
  for await (const chunk of stream) {
    if (!Array.isArray(chunk) || chunk.length !== 2) continue;
    const [mode, payload] = chunk as [unknown, unknown];
    if (mode === 'updates' && payload && typeof payload === 'object') {
      for (const node of Object.keys(payload)) if (!node.startsWith('__')) report({ type: 'node', node });
    } else if (mode === 'messages' && Array.isArray(payload)) {
      const [message, meta] = payload as [{ content?: unknown } | undefined, { langgraph_node?: unknown } | undefined];
      const node = typeof meta?.langgraph_node === 'string' ? meta.langgraph_node : '';
      const piece = contentText(message?.content);
      if (piece.length === 0) continue;
      const so = (text.get(node) ?? '') + piece;
      text.set(node, so);
      report({ type: 'token', node, text: so });
    }
  }
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : '')).join('');
}
