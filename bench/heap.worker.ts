/**
 * The app worker of bench/heap.ts: `serve()` with one no-op workflow of two steps (step 0
 * continues, step 1 succeeds), default options otherwise, so its heap after thousands of
 * finished runs is what an app's worker would carry. The database name comes from `?db=`.
 */
import { Outcome, serve } from '../src/worker.ts';

const db = new URL(self.location.href).searchParams.get('db') ?? 'bench-heap';

serve({
  name: db,
  workflows: { twoSteps: async (step) => (step.stepNumber === 0 ? Outcome.next({ done: 1 }) : Outcome.succeed(null)) },
  concurrency: 16,
});
