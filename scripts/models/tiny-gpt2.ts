/**
 * tiny-gpt2: a text-generation decoder (`GPT2LMHeadModel` to transformers.js) with a real KV
 * cache, so both libraries' generation loops run as they do on a real model: after the first
 * step they feed only the newest token plus `past_key_values.0.*` and read `present.0.*`.
 *
 * 1 layer, 2 heads of 32, n_embd 64; one-hot token embeddings and `lm_head[i, next(i)] = 10`
 * encode fixed chains ("hello world from a tiny model .", "ping pong", "la" → "la" forever,
 * ...), every other token goes to EOS (id 0). Attention weights are random and do add to the
 * logits; the generator refuses to write a model whose greedy top-1 margin falls below
 * MIN_MARGIN anywhere in the expected generations, so float error cannot flip a token.
 *
 * Cache tensors use fixed heads/head_dim and a batch dim named `batch_size`: v3+ builds the empty
 * first-step cache from the session's input metadata, v2 from config.json (n_head, n_embd).
 */
import { DataType, encodeModel, type GraphSpec } from './onnx.ts';
import { json } from './tiny-bert.ts';
import { wordPiece } from './wordpiece.ts';
import { add, dot, matrix, prng, row, softmax, uniform, vecMat, type Matrix } from './weights.ts';

const N_EMBD = 64;
const N_HEAD = 2;
const HEAD_DIM = N_EMBD / N_HEAD;
const N_POSITIONS = 128;
const EOS = 0;
const MIN_MARGIN = 2;

const CHAINS = [
  ['hello', 'world', 'from', 'a', 'tiny', 'model', '.'],
  ['ping', 'pong'],
  ['one', 'two', 'three', 'four', 'five'],
  ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', '.'],
];
/** `la` continues with itself until max_new_tokens: a long generation to abort halfway. */
const LOOP = 'la';
const OTHER = ['hi', ',', '!', '##s'];

/** The generations written to expected.json: [prompt, max_new_tokens]. */
export const GPT2_PROBES: [string, number][] = [
  ['Hello', 16],
  ['ping', 16],
  ['one two', 16],
  ['the quick', 16],
  ['Hello', 3],
  ['la', 100],
];

export interface Generation {
  prompt: string;
  maxNewTokens: number;
  promptIds: number[];
  /** Greedy new token ids, EOS included when reached. */
  newIds: number[];
  /** The new text alone (special tokens skipped). */
  text: string;
  /** What the text-generation pipeline returns by default (`return_full_text`): prompt and new text. */
  fullText: string;
  /** The new text after each generated token that changed it: the expected progress stream. */
  stream: string[];
}

export interface TinyGpt2Expected {
  model: string;
  vocabSize: number;
  generations: Generation[];
  /** Last-position logits at every step of the `the quick` generation (full recompute, no cache). */
  stepLogits: { prompt: string; logits: number[][] };
  minMargin: number;
}

export function buildTinyGpt2(name: string): { files: Record<string, Uint8Array | string>; expected: TinyGpt2Expected } {
  const chained = [...new Set(CHAINS.flat())];
  const tok = wordPiece({ specials: ['<|endoftext|>', '[UNK]'], tokens: [...chained, LOOP, ...OTHER], unk: '[UNK]' });
  const V = tok.size;
  if (V > N_EMBD) throw new Error('one-hot token embeddings need vocab_size <= n_embd');
  const id = (t: string) => tok.vocab.get(t)!;
  const next = new Map<number, number>();
  for (const chain of CHAINS) chain.forEach((t, i) => next.set(id(t), i + 1 < chain.length ? id(chain[i + 1]!) : EOS));
  next.set(id(LOOP), id(LOOP));

  const rand = prng(0x5eed_9972);
  const w = {
    wte: matrix(V, N_EMBD, (r, c) => (r === c ? 1 : 0)),
    wpe: uniform(rand, N_POSITIONS, N_EMBD, 0.05),
    q: uniform(rand, N_EMBD, N_EMBD, 0.5),
    k: uniform(rand, N_EMBD, N_EMBD, 0.5),
    v: uniform(rand, N_EMBD, N_EMBD, 0.5),
    o: uniform(rand, N_EMBD, N_EMBD, 0.05),
    lmHead: matrix(N_EMBD, V, (r, c) => (r < V && (next.get(r) ?? EOS) === c ? 10 : 0)),
  };

  let minMargin = Infinity;
  const generate = (prompt: string, maxNewTokens: number): { gen: Generation; logits: number[][] } => {
    const promptIds = tok.encode(prompt);
    const ids = [...promptIds];
    const newIds: number[] = [];
    const stepLogits: number[][] = [];
    const stream: string[] = [];
    while (newIds.length < maxNewTokens) {
      const logits = forward(w, ids).at(-1)!;
      stepLogits.push(logits);
      const sorted = [...logits].sort((a, b) => b - a);
      minMargin = Math.min(minMargin, sorted[0]! - sorted[1]!);
      const best = logits.indexOf(sorted[0]!);
      ids.push(best);
      newIds.push(best);
      const text = tok.decode(newIds);
      if (text !== (stream.at(-1) ?? '')) stream.push(text);
      if (best === EOS) break;
    }
    const gen = { prompt, maxNewTokens, promptIds, newIds, text: tok.decode(newIds), fullText: tok.decode(ids), stream };
    return { gen, logits: stepLogits };
  };
  const generations = GPT2_PROBES.map(([p, n]) => generate(p, n).gen);
  const quick = generate('the quick', 16);
  if (minMargin < MIN_MARGIN) throw new Error(`tiny-gpt2: greedy margin ${minMargin} < ${MIN_MARGIN}; change the seed or scales`);

  const model = encodeModel(graph(V, w));
  const config = {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: V,
    n_embd: N_EMBD,
    n_head: N_HEAD,
    n_layer: 1,
    n_positions: N_POSITIONS,
    n_ctx: N_POSITIONS,
    bos_token_id: EOS,
    eos_token_id: EOS,
    use_cache: true,
    'transformers.js_config': { dtype: 'fp32' },
  };
  const generationConfig = { bos_token_id: EOS, eos_token_id: EOS, do_sample: false, max_new_tokens: 16 };
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    model_max_length: N_POSITIONS,
    bos_token: '<|endoftext|>',
    eos_token: '<|endoftext|>',
    unk_token: '[UNK]',
    pad_token: '<|endoftext|>',
  };
  return {
    files: {
      'config.json': json(config),
      'generation_config.json': json(generationConfig),
      'tokenizer.json': json(tok.json),
      'tokenizer_config.json': json(tokenizerConfig),
      // v3+ loads onnx/model.onnx for decoder-only models, v2 onnx/decoder_model_merged.onnx.
      'onnx/model.onnx': model,
      'onnx/decoder_model_merged.onnx': model,
    },
    expected: { model: name, vocabSize: V, generations, stepLogits: { prompt: 'the quick', logits: quick.logits }, minMargin },
  };
}

interface Weights {
  wte: Matrix;
  wpe: Matrix;
  q: Matrix;
  k: Matrix;
  v: Matrix;
  o: Matrix;
  lmHead: Matrix;
}

/** Reference forward pass over a whole unpadded sequence (no cache): logits at every position. */
function forward(w: Weights, ids: number[]): number[][] {
  const xs = ids.map((id, p) => add(row(w.wte, id), row(w.wpe, p)));
  const qs = xs.map((x) => vecMat(x, w.q));
  const ks = xs.map((x) => vecMat(x, w.k));
  const vs = xs.map((x) => vecMat(x, w.v));
  const head = (v: number[], h: number) => v.slice(h * HEAD_DIM, (h + 1) * HEAD_DIM);
  return xs.map((x, s) => {
    const ctx: number[] = [];
    for (let h = 0; h < N_HEAD; h++) {
      const q = head(qs[s]!, h);
      const att = softmax(ks.slice(0, s + 1).map((k) => dot(q, head(k, h)) / Math.sqrt(HEAD_DIM)));
      const c = new Array<number>(HEAD_DIM).fill(0);
      att.forEach((a, t) => head(vs[t]!, h).forEach((v, d) => (c[d]! += a * v)));
      ctx.push(...c);
    }
    return vecMat(add(x, vecMat(ctx, w.o)), w.lmHead);
  });
}

function graph(V: number, w: Weights): GraphSpec {
  const f = (name: string, m: Matrix) => ({ name, type: DataType.FLOAT, dims: [m.rows, m.cols], values: m.data });
  const f0 = (name: string, value: number) => ({ name, type: DataType.FLOAT, dims: [], values: [value] });
  const i64 = (name: string, values: number[], dims: number[] = []) => ({ name, type: DataType.INT64, dims, values });
  const cache = ['batch_size', N_HEAD, 'past_sequence_length', HEAD_DIM];
  const present = ['batch_size', N_HEAD, 'total_sequence_length', HEAD_DIM];
  const heads = (src: string, weight: string, out: string) => [
    { op: 'MatMul', inputs: [src, weight], outputs: [`${out}_lin`] },
    { op: 'Reshape', inputs: [`${out}_lin`, 'split_heads'], outputs: [`${out}_split`] },
    { op: 'Transpose', inputs: [`${out}_split`], outputs: [out], attributes: { perm: { ints: [0, 2, 1, 3] } } },
  ];
  return {
    name: 'tiny-gpt2',
    inputs: [
      { name: 'input_ids', type: DataType.INT64, shape: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', type: DataType.INT64, shape: ['batch_size', 'total_sequence_length'] },
      { name: 'position_ids', type: DataType.INT64, shape: ['batch_size', 'sequence_length'] },
      { name: 'past_key_values.0.key', type: DataType.FLOAT, shape: cache },
      { name: 'past_key_values.0.value', type: DataType.FLOAT, shape: cache },
    ],
    outputs: [
      { name: 'logits', type: DataType.FLOAT, shape: ['batch_size', 'sequence_length', V] },
      { name: 'present.0.key', type: DataType.FLOAT, shape: present },
      { name: 'present.0.value', type: DataType.FLOAT, shape: present },
    ],
    initializers: [
      f('wte', w.wte),
      f('wpe', w.wpe),
      f('attn.q', w.q),
      f('attn.k', w.k),
      f('attn.v', w.v),
      f('attn.o', w.o),
      f('lm_head', w.lmHead),
      i64('split_heads', [0, 0, N_HEAD, HEAD_DIM], [4]),
      i64('merge_heads', [0, 0, N_EMBD], [3]),
      i64('zero', [0]),
      i64('one', [1]),
      i64('two', [2]),
      i64('axes_1', [1], [1]),
      i64('axes_1_2', [1, 2], [2]),
      f0('scale', 1 / Math.sqrt(HEAD_DIM)),
      f0('one_f', 1),
      f0('neg_big', -1e4),
    ],
    nodes: [
      { op: 'Gather', inputs: ['wte', 'input_ids'], outputs: ['tok_emb'] },
      { op: 'Gather', inputs: ['wpe', 'position_ids'], outputs: ['pos_emb'] },
      { op: 'Add', inputs: ['tok_emb', 'pos_emb'], outputs: ['x'] },
      ...heads('x', 'attn.q', 'q'),
      ...heads('x', 'attn.k', 'k'),
      ...heads('x', 'attn.v', 'v'),
      { op: 'Concat', inputs: ['past_key_values.0.key', 'k'], outputs: ['present.0.key'], attributes: { axis: { int: 2 } } },
      { op: 'Concat', inputs: ['past_key_values.0.value', 'v'], outputs: ['present.0.value'], attributes: { axis: { int: 2 } } },
      { op: 'Transpose', inputs: ['present.0.key'], outputs: ['k_t'], attributes: { perm: { ints: [0, 1, 3, 2] } } },
      { op: 'MatMul', inputs: ['q', 'k_t'], outputs: ['scores_raw'] },
      { op: 'Mul', inputs: ['scores_raw', 'scale'], outputs: ['scores'] },
      // Padding bias [B,1,1,T]: -1e4 where attention_mask is 0.
      { op: 'Cast', inputs: ['attention_mask'], outputs: ['mask_f'], attributes: { to: { int: DataType.FLOAT } } },
      { op: 'Sub', inputs: ['one_f', 'mask_f'], outputs: ['mask_inv'] },
      { op: 'Mul', inputs: ['mask_inv', 'neg_big'], outputs: ['pad_bias_2d'] },
      { op: 'Unsqueeze', inputs: ['pad_bias_2d', 'axes_1_2'], outputs: ['pad_bias'] },
      // Causal bias [S,T]: query s (absolute position P+s) sees keys t <= P+s, with P = T - S.
      { op: 'Shape', inputs: ['input_ids'], outputs: ['ids_shape'] },
      { op: 'Gather', inputs: ['ids_shape', 'one'], outputs: ['S'] },
      { op: 'Shape', inputs: ['present.0.key'], outputs: ['key_shape'] },
      { op: 'Gather', inputs: ['key_shape', 'two'], outputs: ['T'] },
      { op: 'Sub', inputs: ['T', 'S'], outputs: ['P'] },
      { op: 'Range', inputs: ['zero', 'T', 'one'], outputs: ['key_pos'] },
      { op: 'Range', inputs: ['zero', 'S', 'one'], outputs: ['query_idx'] },
      { op: 'Add', inputs: ['query_idx', 'P'], outputs: ['query_pos'] },
      { op: 'Unsqueeze', inputs: ['query_pos', 'axes_1'], outputs: ['query_col'] },
      { op: 'Greater', inputs: ['key_pos', 'query_col'], outputs: ['future'] },
      { op: 'Cast', inputs: ['future'], outputs: ['future_f'], attributes: { to: { int: DataType.FLOAT } } },
      { op: 'Mul', inputs: ['future_f', 'neg_big'], outputs: ['causal_bias'] },
      { op: 'Add', inputs: ['scores', 'pad_bias'], outputs: ['scores_pad'] },
      { op: 'Add', inputs: ['scores_pad', 'causal_bias'], outputs: ['scores_masked'] },
      { op: 'Softmax', inputs: ['scores_masked'], outputs: ['attn'], attributes: { axis: { int: -1 } } },
      { op: 'MatMul', inputs: ['attn', 'present.0.value'], outputs: ['ctx_heads'] },
      { op: 'Transpose', inputs: ['ctx_heads'], outputs: ['ctx_t'], attributes: { perm: { ints: [0, 2, 1, 3] } } },
      { op: 'Reshape', inputs: ['ctx_t', 'merge_heads'], outputs: ['ctx'] },
      { op: 'MatMul', inputs: ['ctx', 'attn.o'], outputs: ['attn_out'] },
      { op: 'Add', inputs: ['x', 'attn_out'], outputs: ['h'] },
      { op: 'MatMul', inputs: ['h', 'lm_head'], outputs: ['logits'] },
    ],
  };
}
