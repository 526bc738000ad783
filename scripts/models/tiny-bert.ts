/**
 * tiny-bert: a feature-extraction model (`BertModel` to transformers.js) whose mean-pooled
 * embeddings are meaningful: words of one group (animals, colours, greetings, weather, food)
 * share a base vector plus noise, so cat~dog is high and cat~pizza low.
 *
 * Graph: last_hidden_state = tanh((E_word[ids] + E_type[type_ids] + E_pos[0..S)) W + b) * mask.
 * The output must be called `last_hidden_state`: both libraries' feature-extraction pipelines
 * read it, then mean-pool over the attention mask and L2-normalise.
 */
import { DataType, encodeModel, type GraphSpec } from './onnx.ts';
import { wordPiece } from './wordpiece.ts';
import { add, matrix, normalize, prng, row, uniform, vecMat, dot, type Matrix } from './weights.ts';

const HIDDEN = 32;
const MAX_POSITIONS = 128;

const GROUPS: Record<string, string[]> = {
  animals: ['cat', 'dog', 'horse', 'bird', 'fish'],
  colours: ['red', 'blue', 'green', 'yellow', 'purple'],
  greetings: ['hello', 'hi', 'hey', 'welcome'],
  weather: ['rain', 'snow', 'sun', 'wind', 'storm'],
  food: ['pizza', 'bread', 'apple', 'soup', 'cheese'],
};
const OTHER = ['the', 'a', 'is', 'and', 'i', 'like', 'it', '.', ',', '!', '?'];
const SUFFIXES = ['##s', '##ing', '##ed'];

/** Inputs whose pooled, normalised embeddings go into expected.json. */
export const BERT_PROBES = ['cat', 'dog', 'pizza', 'red', 'It is snowing.', 'Hello, I like cats!'];

export interface TinyBertExpected {
  model: string;
  hidden: number;
  /** Token ids per probe, as the tokenizer (with [CLS]/[SEP]) gives them. */
  ids: Record<string, number[]>;
  /** Mean-pooled, L2-normalised embeddings per probe. */
  embeddings: Record<string, number[]>;
  /** Cosine similarities that make the model useful for semantic-search tests. */
  similarity: Record<string, number>;
}

export function buildTinyBert(name: string): { files: Record<string, Uint8Array | string>; expected: TinyBertExpected } {
  const grouped = Object.values(GROUPS).flat();
  const tok = wordPiece({
    specials: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
    tokens: [...grouped, ...OTHER, ...SUFFIXES],
    unk: '[UNK]',
    template: { cls: '[CLS]', sep: '[SEP]' },
  });
  const V = tok.size;
  const rand = prng(0x5eed_b127);
  const bases = Object.fromEntries(Object.keys(GROUPS).map((g) => [g, Array.from({ length: HIDDEN }, () => rand() * 2 - 1)]));
  const groupOf = new Map(Object.entries(GROUPS).flatMap(([g, ws]) => ws.map((w) => [w, g] as const)));
  const tokens = [...tok.vocab.keys()];
  const wordEmb = matrix(V, HIDDEN);
  tokens.forEach((t, i) => {
    const g = groupOf.get(t);
    for (let c = 0; c < HIDDEN; c++) {
      const noise = rand() * 2 - 1;
      const scale = i < 5 ? 0.1 : t.startsWith('##') ? 0.3 : 1;
      wordEmb.data[i * HIDDEN + c] = g ? bases[g]![c]! + 0.35 * noise : scale * noise;
    }
  });
  const typeEmb = uniform(rand, 2, HIDDEN, 0.05);
  const posEmb = uniform(rand, MAX_POSITIONS, HIDDEN, 0.05);
  const dense = uniform(rand, HIDDEN, HIDDEN, 0.3);
  const bias = uniform(rand, 1, HIDDEN, 0.1);

  const embed = (text: string): number[] => {
    const ids = tok.encode(text);
    const sum = new Array<number>(HIDDEN).fill(0);
    ids.forEach((id, p) => {
      const x = add(add(row(wordEmb, id), row(typeEmb, 0)), row(posEmb, p));
      const h = add(vecMat(x, dense), row(bias, 0)).map(Math.tanh);
      h.forEach((v, c) => (sum[c]! += v));
    });
    return normalize(sum.map((v) => v / ids.length));
  };

  const embeddings = Object.fromEntries(BERT_PROBES.map((p) => [p, embed(p)]));
  const cos = (a: string, b: string) => dot(embed(a), embed(b));
  const similarity = { 'cat~dog': cos('cat', 'dog'), 'cat~pizza': cos('cat', 'pizza'), 'rain~snow': cos('rain', 'snow'), 'red~bread': cos('red', 'bread') };
  if (!(similarity['cat~dog'] > 0.6 && similarity['cat~pizza'] < 0.4)) throw new Error(`tiny-bert groups are not separated: ${JSON.stringify(similarity)}`);

  const model = encodeModel(graph(V, wordEmb, typeEmb, posEmb, dense, bias));
  const config = {
    model_type: 'bert',
    architectures: ['BertModel'],
    vocab_size: V,
    hidden_size: HIDDEN,
    num_hidden_layers: 1,
    num_attention_heads: 1,
    intermediate_size: HIDDEN,
    max_position_embeddings: MAX_POSITIONS,
    type_vocab_size: 2,
    pad_token_id: 0,
    // Read by @huggingface/transformers 3+: load onnx/model.onnx (fp32) rather than the q8 default on wasm.
    'transformers.js_config': { dtype: 'fp32' },
  };
  const tokenizerConfig = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: MAX_POSITIONS,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
  };
  return {
    files: {
      'config.json': json(config),
      'tokenizer.json': json(tok.json),
      'tokenizer_config.json': json(tokenizerConfig),
      'onnx/model.onnx': model,
    },
    expected: {
      model: name,
      hidden: HIDDEN,
      ids: Object.fromEntries(BERT_PROBES.map((p) => [p, tok.encode(p)])),
      embeddings,
      similarity,
    },
  };
}

function graph(V: number, wordEmb: Matrix, typeEmb: Matrix, posEmb: Matrix, dense: Matrix, bias: Matrix): GraphSpec {
  const f = (name: string, m: Matrix, dims = [m.rows, m.cols]) => ({ name, type: DataType.FLOAT, dims, values: m.data });
  const i64 = (name: string, values: number[], dims: number[] = []) => ({ name, type: DataType.INT64, dims, values });
  const seq = ['batch_size', 'sequence_length'];
  return {
    name: 'tiny-bert',
    inputs: [
      { name: 'input_ids', type: DataType.INT64, shape: seq },
      { name: 'attention_mask', type: DataType.INT64, shape: seq },
      { name: 'token_type_ids', type: DataType.INT64, shape: seq },
    ],
    outputs: [{ name: 'last_hidden_state', type: DataType.FLOAT, shape: [...seq, HIDDEN] }],
    initializers: [
      f('word_embeddings', wordEmb, [V, HIDDEN]),
      f('token_type_embeddings', typeEmb),
      f('position_embeddings', posEmb),
      f('dense.weight', dense),
      f('dense.bias', bias, [HIDDEN]),
      i64('zero', [0]),
      i64('one', [1]),
      i64('last_axis', [-1], [1]),
    ],
    nodes: [
      { op: 'Gather', inputs: ['word_embeddings', 'input_ids'], outputs: ['we'] },
      { op: 'Gather', inputs: ['token_type_embeddings', 'token_type_ids'], outputs: ['tt'] },
      { op: 'Shape', inputs: ['input_ids'], outputs: ['ids_shape'] },
      { op: 'Gather', inputs: ['ids_shape', 'one'], outputs: ['seq_len'] },
      { op: 'Range', inputs: ['zero', 'seq_len', 'one'], outputs: ['positions'] },
      { op: 'Gather', inputs: ['position_embeddings', 'positions'], outputs: ['pe'] },
      { op: 'Add', inputs: ['we', 'tt'], outputs: ['we_tt'] },
      { op: 'Add', inputs: ['we_tt', 'pe'], outputs: ['x'] },
      { op: 'MatMul', inputs: ['x', 'dense.weight'], outputs: ['xw'] },
      { op: 'Add', inputs: ['xw', 'dense.bias'], outputs: ['xwb'] },
      { op: 'Tanh', inputs: ['xwb'], outputs: ['y'] },
      { op: 'Cast', inputs: ['attention_mask'], outputs: ['mask_f'], attributes: { to: { int: DataType.FLOAT } } },
      { op: 'Unsqueeze', inputs: ['mask_f', 'last_axis'], outputs: ['mask_u'] },
      { op: 'Mul', inputs: ['y', 'mask_u'], outputs: ['last_hidden_state'] },
    ],
  };
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
