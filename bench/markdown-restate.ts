/**
 * The BENCHMARKS.md section on `stepwise/restate`, from the newest `.bench/restate-*.json`
 * (written by `npx tsx bench/restate.ts`): hand-offs per second into a real Restate server, and
 * the steps per second a handed-off run makes there.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { get, n, table, type Obj } from './markdown-format.ts';

export const RESTATE_HEADING = '## Hand-offs to a Restate server';

export function restateSection(root: string): string[] {
  const out = [RESTATE_HEADING, ''];
  const dir = join(root, '.bench');
  const file = readdirSync(dir).filter((f) => f.startsWith('restate-') && f.endsWith('.json')).sort().at(-1);
  if (!file) return [...out, 'No Restate result in .bench/: run `npx tsx bench/restate.ts`.'];
  const j = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Obj;
  const cfg = (k: string) => get<number>(j, 'meta', 'config', k);
  out.push(
    `\`.bench/${file}\`: Node ${String(get<string>(j, 'meta', 'node'))}, 1-minute load ${get<number>(j, 'meta', 'loadAverage1m')?.toFixed(1) ?? '–'} on ${get<number>(j, 'meta', 'cpus')} cores; ${(get<string[]>(j, 'meta', 'notes') ?? []).join('; ')}.`,
  );
  out.push('');
  out.push(
    table(
      ['what', 'count', 'per second'],
      [
        [`hand-offs (\`restateRuns.start\`, ${cfg('lanes')} at a time: the hand-off's memo written, the workflow submitted)`, n(get<number>(j, 'handoffs', 'n')), n(get<number>(j, 'handoffs', 'perSec'))],
        [`remote steps (${cfg('runs')} runs × ${cfg('stepsPerRun')} no-op steps, each a journaled \`ctx.run\` and a status write)`, n(get<number>(j, 'steps', 'n')), n(get<number>(j, 'steps', 'perSec'))],
      ],
    ),
  );
  out.push('');
  out.push('One server node and one service process on this 2-core machine: the figures bound what one such pair does, not a cluster. More service processes behind one server, or a Restate cluster, scale it out (docs/restate.md).');
  return out;
}
