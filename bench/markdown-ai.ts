/**
 * The BENCHMARKS.md section on `stepwise/ai`, from the newest `.bench/ai-*.json` with at least
 * 3 reps (written by `npx tsx bench/ai.ts`): what `durableModel` adds to an AI SDK call, and the
 * streamed tokens/s that reach a second tab.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { get, ms, n, table, type Obj } from './markdown-format.ts';

export const AI_HEADING = '## What durableModel adds to an AI SDK call, and tokens in a second tab';

function newestAi(root: string): { file: string; json: Obj } | undefined {
  const dir = join(root, '.bench');
  const files = readdirSync(dir).filter((f) => f.startsWith('ai-') && f.endsWith('.json')).sort().reverse();
  for (const file of files) {
    const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Obj;
    if ((get<number>(json, 'meta', 'config', 'reps') ?? 0) >= 3) return { file, json };
  }
  return undefined;
}

export function aiSection(root: string): string[] {
  const out = [AI_HEADING, ''];
  const found = newestAi(root);
  if (!found) return [...out, 'No AI result with ≥ 3 reps in .bench/: run `npx tsx bench/ai.ts`.'];
  const j = found.json;
  const meta = j['meta'] as Obj;
  const cfg = (k: string) => get<number>(meta, 'config', k);
  const load = get<{ before: number; after: number }>(meta, 'loadAverage1m');
  out.push(
    `\`.bench/${found.file}\`: ${cfg('reps')} interleaved reps of ${cfg('n')} sequential calls per cell, Chromium ${String(get<string>(meta, 'chromium'))}, 1-minute load ${load ? `${load.before.toFixed(1)} → ${load.after.toFixed(1)}` : '–'} on ${get<number>(meta, 'cpus')} cores.`,
  );
  out.push('');
  const g = (k: string) => get<number>(j, 'generate', k);
  const s = (k: string) => get<number>(j, 'stream', k);
  const plus = (v: number | undefined) => (v === undefined ? '–' : `${v >= 0 ? '+' : ''}${ms(v)}`);
  out.push(
    table(
      ['p50', 'bare call', 'durableModel, the call inside its step', 'added', 'as a whole run, from submit', 'added'],
      [
        ['`generateText`, whole answer', ms(g('bareP50Ms')), ms(g('inStepP50Ms')), plus(g('addedInStepP50Ms')), ms(g('runP50Ms')), plus(g('addedRunP50Ms'))],
        ['`streamText`, time to first token', ms(s('bareTtftP50Ms')), ms(s('inStepTtftP50Ms')), plus(s('addedTtftInStepP50Ms')), ms(s('runTtftP50Ms')), plus(s('addedTtftRunP50Ms'))],
        ['`streamText`, whole answer', ms(s('bareP50Ms')), ms(s('inStepP50Ms')), '', ms(s('runP50Ms')), ''],
      ],
    ),
  );
  out.push('');
  const tab = (k: 'paced' | 'burst', label: string) => {
    const t = get<Obj>(j, 'secondTab', k);
    const w = get<number>(t, 'workerTokensPerSec');
    const b = get<number>(t, 'tabBTokensPerSec');
    return [label, `${n(get<number>(t, 'tabBWords'))} / ${n(get<number>(t, 'words'))}`, n(w), n(b), w && b ? `${((b / w) * 100).toFixed(0)}%` : '–', n(get<number>(t, 'tabBUpdates')), ms(get<number>(t, 'lagP50Ms')), ms(get<number>(t, 'lastWordLagMs'))];
  };
  out.push(`A streamed answer of ${n(cfg('words'))} words (one per chunk) that tab A's run asks for, as tab B, watching the run, sees it:`);
  out.push('');
  out.push(
    table(
      ['server pace', 'words at B / sent', 'tokens/s the step received', 'tokens/s at tab B', 'B ÷ step', 'updates at B', 'lag p50', 'last word lag'],
      [tab('paced', `a chunk every ${cfg('chunkDelayMs')} ms`), tab('burst', 'back to back')],
    ),
  );
  out.push('');
  out.push(
    'The durable call pays a memo lookup before its request and a memo write after it (in the step); a whole run adds the submit, the claim, the settlement and the outcome reaching the caller. Tab B receives the stream at the rate the step receives it: progress is cumulative, so a throttled update carries every word so far. Page and worker clocks are compared as `timeOrigin + now()`, which agree to a millisecond or two (a negative lag is that offset); a back-to-back answer arrives within a few tens of ms, so tab B sees it in 2–3 updates.',
  );
  out.push('');
  for (const note of get<string[]>(meta, 'notes') ?? []) out.push(`- ${note}`);
  return out;
}
