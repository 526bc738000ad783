/**
 * The scripted model of the "agent with tools" mode on the built-in models. The built-in tiny
 * generator cannot choose tools, so this AI SDK language model (the `LanguageModelV4` shape,
 * built the way the SDK's own `MockLanguageModelV4` is: a `doStream` that returns a stream of
 * parts) plays the model's part from a fixed script, and the page says so:
 *
 *   1. it calls `searchNotes` with the person's question;
 *   2. it calls `readNote` with the id of the first note found;
 *   3. it calls `saveSummary` with the note's first two sentences (this tool needs approval);
 *   4. it answers: the summary was saved, or the person rejected it (their reason quoted).
 *
 * Which step of the script it is on, and the arguments it passes, come from the conversation
 * it is given (the tool results so far), so a redelivered turn asks the same thing. Its text
 * streams a word at a time (`msPerWord`), like a model on a slow device, so a page can watch it
 * and a reload can cut it. Everything else is real: the SDK's tool loop, the tools, their
 * recorded results, the durable approval and the memo of each model call.
 */
import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';

type PromptPart = { type: string; toolName?: string; toolCallId?: string; output?: { type: string; value?: unknown; reason?: string }; text?: string };

/** What the script does next, from the tool results the conversation holds. */
type Move = { text: string; call?: { name: string; input: Record<string, string> } };

export function scriptedModel(options: { msPerWord?: number } = {}): LanguageModelV4 {
  const msPerWord = options.msPerWord ?? 70;
  const unsupported = () => Promise.reject(new Error('the scripted model only streams: use streamText'));
  return {
    specificationVersion: 'v4',
    provider: 'stepwise-demo',
    modelId: 'scripted-tool-caller',
    supportedUrls: {},
    doGenerate: unsupported,
    async doStream(call: LanguageModelV4CallOptions) {
      const move = nextMove(call);
      return { stream: partsOf(move, msPerWord, call.abortSignal) };
    },
  };
}

function nextMove(call: LanguageModelV4CallOptions): Move {
  const parts = call.prompt.flatMap((m) => (Array.isArray(m.content) ? (m.content as PromptPart[]) : []));
  const question = call.prompt
    .filter((m) => m.role === 'user')
    .flatMap((m) => m.content as PromptPart[])
    .map((p) => p.text ?? '')
    .join(' ')
    .trim();
  const results = parts.filter((p) => p.type === 'tool-result');
  const result = (name: string) => results.find((p) => p.toolName === name)?.output;
  const saved = result('saveSummary');
  if (saved) {
    if (saved.type === 'execution-denied') {
      return { text: `You rejected saving the summary${saved.reason ? ` (“${saved.reason}”)` : ''}, so I saved nothing. The note is still there to read.` };
    }
    return { text: `Saved the summary. ${describe(saved.value)}` };
  }
  const read = valueOf(result('readNote'));
  if (read) {
    const title = typeof read['title'] === 'string' ? read['title'] : 'the note';
    const text = typeof read['text'] === 'string' ? read['text'] : '';
    return {
      text: `“${title}” answers it. I will save a short summary of it; that needs your approval.`,
      call: { name: 'saveSummary', input: { title: `Summary: ${title}`, text: firstSentences(text, 2) } },
    };
  }
  const found = valueOf(result('searchNotes'));
  if (found) {
    const hits = Array.isArray(found['notes']) ? (found['notes'] as { id?: unknown; title?: unknown }[]) : [];
    const first = hits[0];
    if (!first || typeof first.id !== 'string') return { text: 'The notes say nothing about that, so there is nothing to summarize.' };
    return { text: `Found ${hits.length} note${hits.length === 1 ? '' : 's'}; reading “${String(first.title)}”.`, call: { name: 'readNote', input: { id: first.id } } };
  }
  return { text: 'Let me search the household notes for that.', call: { name: 'searchNotes', input: { query: question } } };
}

function valueOf(output: PromptPart['output']): Record<string, unknown> | undefined {
  const v = output?.type === 'json' ? output.value : undefined;
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function describe(value: unknown): string {
  const v = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  return typeof v['title'] === 'string' ? `It is stored as “${v['title']}”.` : '';
}

function firstSentences(text: string, n: number): string {
  const sentences = text.match(/[^.!?]+[.!?]+/g) ?? [text];
  return sentences.slice(0, n).join('').trim();
}

/** The move as stream parts: the text a word at a time, then the tool call, then `finish`. */
function partsOf(move: Move, msPerWord: number, signal: AbortSignal | undefined): ReadableStream<LanguageModelV4StreamPart> {
  const words = move.text.split(/(?<= )/);
  const usage = {
    inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: words.length, text: words.length, reasoning: undefined },
  };
  let i = 0;
  return new ReadableStream<LanguageModelV4StreamPart>({
    start(controller) {
      controller.enqueue({ type: 'stream-start', warnings: [] });
      controller.enqueue({ type: 'text-start', id: 't0' });
    },
    async pull(controller) {
      if (i < words.length) {
        await pause(msPerWord, signal);
        controller.enqueue({ type: 'text-delta', id: 't0', delta: words[i++] ?? '' });
        return;
      }
      controller.enqueue({ type: 'text-end', id: 't0' });
      if (move.call) controller.enqueue({ type: 'tool-call', toolCallId: `call-${move.call.name}`, toolName: move.call.name, input: JSON.stringify(move.call.input) });
      controller.enqueue({ type: 'finish', usage, finishReason: { unified: move.call ? 'tool-calls' : 'stop', raw: undefined } });
      controller.close();
    },
  });
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
