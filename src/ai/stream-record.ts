/**
 * A model stream, seen part by part: what it shows so far (for `step.progress`) and what is
 * recorded of it (for replay).
 *
 * The record is the stream's parts in order, compacted: consecutive deltas of one text,
 * reasoning or tool input are joined into one delta, so a thousand-token answer records a
 * handful of parts rather than a thousand. `raw` and `ping` parts are not recorded (they carry
 * no answer). A stream is recorded only once it is complete: a `finish` part arrived and no
 * `error` part did. Replay yields the recorded parts as a stream, which the SDK consumes like
 * the provider's own.
 */
import type { PartialAnswer } from '../runners/llm/completion.ts';

/** A stream part, in either specification version: a `type` and the part's fields. */
export type StreamPart = { type: string; [field: string]: unknown };

const DELTA_TYPES = new Set(['text-delta', 'reasoning-delta', 'tool-input-delta']);
const SKIPPED = new Set(['raw', 'ping']);

export class StreamRecorder {
  readonly parts: StreamPart[] = [];
  #text = '';
  #reasoning = '';
  readonly #toolCalls = new Map<string, { id: string; name: string; input: string }>();
  #finished = false;
  #failed = false;

  /**
   * Takes one part. @returns whether what the stream shows (text, reasoning, tool-call
   * input) changed.
   */
  add(part: StreamPart): boolean {
    if (SKIPPED.has(part.type)) return false;
    if (part.type === 'error') this.#failed = true;
    if (part.type === 'finish') this.#finished = true;
    this.#record(part);
    return this.#show(part);
  }

  /** True when the stream ended with a `finish` part and no `error` part. */
  get complete(): boolean {
    return this.#finished && !this.#failed;
  }

  /** What the stream shows so far. */
  get partial(): PartialAnswer {
    const answer: PartialAnswer = { text: this.#text, reasoning: this.#reasoning, refusal: '' };
    if (this.#toolCalls.size > 0) answer.toolCalls = [...this.#toolCalls.values()].map((c) => ({ ...c }));
    return answer;
  }

  #record(part: StreamPart): void {
    const last = this.parts[this.parts.length - 1];
    if (DELTA_TYPES.has(part.type) && last && last.type === part.type && last['id'] === part['id'] && typeof last['delta'] === 'string' && typeof part['delta'] === 'string') {
      this.parts[this.parts.length - 1] = { ...last, delta: last['delta'] + part['delta'] };
      return;
    }
    this.parts.push(part);
  }

  #show(part: StreamPart): boolean {
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    switch (part.type) {
      case 'text-delta':
        this.#text += str(part['delta']);
        return str(part['delta']) !== '';
      case 'reasoning-delta':
        this.#reasoning += str(part['delta']);
        return str(part['delta']) !== '';
      case 'tool-input-start':
        this.#toolCalls.set(str(part['id']), { id: str(part['id']), name: str(part['toolName']), input: '' });
        return true;
      case 'tool-input-delta': {
        const call = this.#toolCalls.get(str(part['id']));
        if (!call) return false;
        call.input += str(part['delta']);
        return str(part['delta']) !== '';
      }
      case 'tool-call': {
        const id = str(part['toolCallId']);
        const input = typeof part['input'] === 'string' ? part['input'] : JSON.stringify(part['input'] ?? null);
        const known = this.#toolCalls.get(id);
        if (known && known.input === input) return false;
        this.#toolCalls.set(id, { id, name: str(part['toolName']), input });
        return true;
      }
      default:
        return false;
    }
  }
}

/** A stream that yields `parts` and ends. */
export function replayStream(parts: readonly StreamPart[]): ReadableStream<StreamPart> {
  let i = 0;
  return new ReadableStream<StreamPart>({
    pull(controller) {
      if (i < parts.length) controller.enqueue(parts[i++] as StreamPart);
      else controller.close();
    },
  });
}
