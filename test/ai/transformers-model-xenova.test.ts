/**
 * `transformersModel` over @xenova/transformers 2.x (its `callback_function` token hook,
 * `decoder_model_merged.onnx`, `{ quantized: false }`) through `ai` 7. 2.x's onnxruntime-node
 * 1.14 must be loaded by one test file per process: Vitest's default `forks` pool gives each
 * file its own.
 */
import * as xenova from '@xenova/transformers';
import { generateText, streamText } from 'ai';
import { describe, expect, it } from 'vitest';
import { transformersModel } from '../../src/ai.ts';
import { generation, MODELS_DIR } from '../runners/tiny-models.ts';

const tiny = transformersModel({ library: xenova, localModelPath: MODELS_DIR, model: 'tiny-gpt2', pipelineOptions: { quantized: false } });

describe('transformersModel (ai 7, @xenova/transformers 2.x in Node)', () => {
  it('answers generateText and streams streamText token by token with the exact generations', async () => {
    const r = await generateText({ model: tiny, prompt: 'Hello', maxOutputTokens: 16, maxRetries: 0 });
    const h = generation('Hello');
    expect([r.text, r.finishReason, r.usage.inputTokens, r.usage.outputTokens]).toEqual([h.text, 'stop', h.promptIds.length, h.newIds.length]);

    const g = generation('the quick');
    const result = streamText({ model: tiny, prompt: 'the quick', maxOutputTokens: 16, maxRetries: 0 });
    const pieces: string[] = [];
    for await (const piece of result.textStream) pieces.push(piece);
    expect(pieces).toEqual(g.stream.map((text, i) => text.slice((g.stream[i - 1] ?? '').length)));
  });
});
