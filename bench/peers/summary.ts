/**
 * Driver side: per-rep results of every peer cell → the JSON sections of the peer benchmark
 * (rawPut, peers, stepwise), each figure with its ratio to the same run's raw single-put rate
 * and, for a peer, to Stepwise on the same workload; plus the rows of the readable table.
 */
import type { LoopCellName, LoopResult, PeerCellName, StepsCellName, StepsResult } from './protocol.ts';
import { loopMedians, ratio, stepsMedians, type LoopMedians, type StepsMedians, type TableRow } from './report.ts';

type Outcome<T> = T | { error: string };
type Medians = Outcome<LoopMedians | StepsMedians>;

const rate = (o: Medians): number | undefined => ('error' in o ? undefined : 'opsPerSec' in o ? o.opsPerSec : o.stepsPerSec);
const p50 = (o: Medians): number | undefined => ('error' in o ? undefined : 'opsPerSec' in o ? o.latencyMs.p50 : o.transitionMs.p50);
const p99 = (o: LoopMedians | StepsMedians): number => ('opsPerSec' in o ? o.latencyMs.p99 : o.transitionMs.p99);

function row(name: string, o: Medians, unit: string, latencyOf: string): TableRow {
  if ('error' in o) return { name, rate: undefined, unit, p50: undefined, p99: undefined, latencyOf, note: o.error.startsWith('not run') ? o.error : `FAILED: ${o.error.split('\n')[0]}` };
  return { name, rate: rate(o), unit, p50: p50(o), p99: p99(o), latencyOf };
}

export function summarizePeers(results: Map<PeerCellName, (LoopResult | StepsResult)[]>, errors: Map<PeerCellName, string>, durablyTiming: object) {
  const loop = (c: LoopCellName): Outcome<LoopMedians> => (errors.has(c) ? { error: errors.get(c)! } : loopMedians(results.get(c)! as LoopResult[]));
  const steps = (c: StepsCellName): Outcome<StepsMedians> => (errors.has(c) ? { error: errors.get(c)! } : stepsMedians(results.get(c)! as StepsResult[]));

  const raw = loop('raw-put');
  if ('error' in raw) throw new Error(`raw put failed: ${raw.error}`);
  const withRatios = <T extends LoopMedians | StepsMedians>(o: Outcome<T>, stepwise?: Medians) =>
    'error' in o
      ? o
      : {
          ...o,
          rateOverRawPut: ratio(rate(o), raw.opsPerSec),
          p50OverRawPutP50: ratio(p50(o), raw.latencyMs.p50),
          ...(stepwise ? { rateOverStepwise: ratio(rate(o), rate(stepwise)), p50OverStepwiseP50: ratio(p50(o), p50(stepwise)) } : {}),
        };

  const sw = { '100x10': steps('stepwise-100x10'), '1x200': steps('stepwise-1x200'), queue: loop('stepwise-queue') };
  const durably = { '100x10': steps('durably-100x10'), '1x200': steps('durably-1x200'), insert: loop('sqlocal-insert') };
  const workbox = { default: loop('workbox-queue'), noSync: loop('workbox-queue-nosync'), rawPut: loop('raw-put-sw') };
  const durablyError = [durably['100x10'], durably['1x200']].find((o) => 'error' in o);

  const sections = {
    rawPut: { ...raw, p50: raw.latencyMs.p50 },
    peers: {
      durably: durablyError
        ? { error: durablyError.error, cells: durably }
        : {
            timing: durablyTiming,
            '100x10': withRatios(durably['100x10'], sw['100x10']),
            '1x200': withRatios(durably['1x200'], sw['1x200']),
            sqliteOpfsInsert: withRatios(durably.insert),
          },
      workboxQueue: {
        default: withRatios(workbox.default, sw.queue),
        forceSyncFallback: withRatios(workbox.noSync, sw.queue),
        rawPutInServiceWorker: withRatios(workbox.rawPut),
      },
    },
    stepwise: { '100x10': withRatios(sw['100x10']), '1x200': withRatios(sw['1x200']), queue: withRatios(sw.queue) },
  };
  const rows: TableRow[] = [
    row('raw IDB: 1 put / txn', raw, 'txn/s', 'one transaction'),
    row('Stepwise Runtime 100×10, conc 16', sw['100x10'], 'steps/s', 'transition'),
    row('durably 100×10, maxConcurrentRuns 16', durably['100x10'], 'steps/s', 'transition'),
    row('Stepwise Runtime 1×200, conc 1', sw['1x200'], 'steps/s', 'transition'),
    row('durably 1×200, maxConcurrentRuns 1', durably['1x200'], 'steps/s', 'transition'),
    row('SQLocal (OPFS): 1 INSERT / txn', durably.insert, 'txn/s', 'one transaction'),
    row('Stepwise Queue enqueue→claim→ack, 1 lane', sw.queue, 'cycles/s', 'cycle'),
    row('raw IDB: 1 put / txn, in the service worker', workbox.rawPut, 'txn/s', 'one transaction'),
    row('workbox Queue push→shift (sync register)', workbox.default, 'cycles/s', 'cycle'),
    row('workbox Queue push→shift (forceSyncFallback)', workbox.noSync, 'cycles/s', 'cycle'),
  ];
  return { sections, rows, rawPutPerSec: raw.opsPerSec };
}
