/**
 * Hand-written WordPiece tokenizers in the Hugging Face `tokenizer.json` format, plus a reference
 * encoder/decoder for the generator's expected outputs.
 *
 * WordPiece, not WordLevel: @xenova/transformers 2.x only knows WordPiece, BPE and Unigram. The
 * reference covers what the tiny vocabularies need (BERT normalizer with lowercasing, split on
 * whitespace and punctuation, greedy longest-match word pieces, `[UNK]` for the rest); it is not
 * a general BERT tokenizer (no accents, no Chinese characters).
 */

export interface WordPieceSpec {
  /** Special tokens first, in id order. */
  specials: string[];
  /** Ordinary tokens (`##` prefix for continuations), ids following the specials. */
  tokens: string[];
  unk: string;
  /** `[CLS] $A [SEP]` around every input when set (BERT); nothing when not (GPT-2 style). */
  template?: { cls: string; sep: string };
}

export interface WordPiece {
  vocab: Map<string, number>;
  size: number;
  /** The tokenizer.json object. */
  json: Record<string, unknown>;
  encode(text: string): number[];
  /** Decodes ids as the WordPiece decoder with cleanup does, skipping special tokens. */
  decode(ids: number[]): string;
}

export function wordPiece(spec: WordPieceSpec): WordPiece {
  const all = [...spec.specials, ...spec.tokens];
  const vocab = new Map(all.map((t, i) => [t, i]));
  if (vocab.size !== all.length) throw new Error('duplicate token in vocabulary');
  const id = (t: string): number => {
    const i = vocab.get(t);
    if (i === undefined) throw new Error(`unknown token ${t}`);
    return i;
  };
  const specialIds = new Set(spec.specials.map(id));

  const encodeWord = (word: string): number[] => {
    const out: number[] = [];
    let start = 0;
    while (start < word.length) {
      let end = word.length;
      let found: number | undefined;
      while (end > start) {
        const piece = (start > 0 ? '##' : '') + word.slice(start, end);
        found = vocab.get(piece);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) return [id(spec.unk)];
      out.push(found);
      start = end;
    }
    return out;
  };

  const encode = (text: string): number[] => {
    const words = text.toLowerCase().match(/[a-z0-9]+|[^\sa-z0-9]/g) ?? [];
    const ids = words.flatMap(encodeWord);
    return spec.template ? [id(spec.template.cls), ...ids, id(spec.template.sep)] : ids;
  };

  const decode = (ids: number[]): string => {
    const tokens = ids.filter((i) => !specialIds.has(i)).map((i) => all[i]!);
    const joined = tokens.map((t, i) => (i > 0 && !t.startsWith('##') ? ' ' : '') + t.replace(/^##/, '')).join('');
    // The WordPiece decoder's `cleanup` (clean_up_tokenization_spaces).
    return joined
      .replace(/ \./g, '.')
      .replace(/ \?/g, '?')
      .replace(/ !/g, '!')
      .replace(/ ,/g, ',')
      .replace(/ ' /g, "'")
      .replace(/ n't/g, "n't")
      .replace(/ 'm/g, "'m")
      .replace(/ 's/g, "'s")
      .replace(/ 've/g, "'ve")
      .replace(/ 're/g, "'re");
  };

  const special = (t: string) => ({ [t]: { id: t, ids: [id(t)], tokens: [t] } });
  const json: Record<string, unknown> = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: spec.specials.map((content) => ({
      id: id(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: spec.template
      ? {
          type: 'TemplateProcessing',
          single: [
            { SpecialToken: { id: spec.template.cls, type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: spec.template.sep, type_id: 0 } },
          ],
          pair: [
            { SpecialToken: { id: spec.template.cls, type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: spec.template.sep, type_id: 0 } },
            { Sequence: { id: 'B', type_id: 1 } },
            { SpecialToken: { id: spec.template.sep, type_id: 1 } },
          ],
          special_tokens: { ...special(spec.template.cls), ...special(spec.template.sep) },
        }
      : null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: spec.unk,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab),
    },
  };

  return { vocab, size: all.length, json, encode, decode };
}
