/**
 * Generates the tiny test models for `stepwise/runners/transformers` (no Python, no network, no
 * dependencies): `npx tsx scripts/gen-models.ts [--out DIR]`, default `models/` at the repo root.
 * The scripts that need the models run it first (`pretest:node`, `pretest:e2e`, `prebench`, `predemo`,
 * `demo:build`), offline; a consumer's install of the package never does.
 *
 *   models/
 *     tiny-bert/   feature-extraction: config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx
 *     tiny-gpt2/   text-generation with a KV cache: the same plus generation_config.json and
 *                  onnx/decoder_model_merged.onnx (the name @xenova/transformers 2.x loads)
 *     expected.json  token ids, embeddings, greedy generations and step logits from a plain-JS
 *                    reference forward pass: what the tests assert
 *
 * The output is byte-for-byte the same on every run; files whose bytes are unchanged are not
 * rewritten. The directory is generated, not committed (.gitignore).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTinyBert, json } from './models/tiny-bert.ts';
import { buildTinyGpt2 } from './models/tiny-gpt2.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function outDir(argv: string[]): string {
  const i = argv.indexOf('--out');
  if (i === -1) return join(repoRoot, 'models');
  const dir = argv[i + 1];
  if (!dir) throw new Error('--out needs a directory');
  return resolve(dir);
}

async function writeIfChanged(path: string, content: Uint8Array | string): Promise<boolean> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const old = await readFile(path).catch(() => undefined);
  if (old && Buffer.compare(old, bytes) === 0) return false;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return true;
}

async function main(): Promise<void> {
  const out = outDir(process.argv.slice(2));
  const bert = buildTinyBert('tiny-bert');
  const gpt2 = buildTinyGpt2('tiny-gpt2');
  let written = 0;
  let bytes = 0;
  for (const [model, files] of [['tiny-bert', bert.files], ['tiny-gpt2', gpt2.files]] as const) {
    for (const [file, content] of Object.entries(files)) {
      bytes += content.length;
      if (await writeIfChanged(join(out, model, file), content)) written++;
    }
  }
  const expected = { 'tiny-bert': bert.expected, 'tiny-gpt2': gpt2.expected };
  if (await writeIfChanged(join(out, 'expected.json'), json(expected))) written++;
  console.log(`gen-models: ${out} (${Math.round(bytes / 1024)} KiB of model files; ${written} file(s) written, greedy margin ${gpt2.expected.minMargin.toFixed(2)})`);
}

await main();
