/**
 * The client cell's worker: a whole Stepwise app worker, i.e. `serve()` with one no-op
 * workflow (a single step that succeeds), executor running, on the database named by `?db=`.
 * One instance serves the whole bench run (bench/client-cells.ts connects once and reuses it).
 *
 * Poll and reap intervals are raised to an hour so that, idle between client cells, this
 * worker does not put a claim transaction a second into the same origin's IndexedDB while the
 * other cells measure. It has no effect on the measured part: a submission in this worker wakes
 * its executor at once, whatever the poll interval.
 */
import { Outcome, serve } from '../src/worker.ts';

const db = new URL(self.location.href).searchParams.get('db') ?? 'bench-app';

serve({
  name: db,
  workflows: { noop: async () => Outcome.succeed(null) },
  concurrency: 16,
  pollIntervalMs: 3_600_000,
  reapIntervalMs: 3_600_000,
});
