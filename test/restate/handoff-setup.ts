/**
 * What the hand-off tests share: an in-memory server behind a real gateway on 127.0.0.1, and a
 * runtime (fake-indexeddb, MockClock) whose gateway calls carry Alice's cookie.
 */
import { afterEach } from 'vitest';
import type { RuntimeOptions } from '../../src/runtime/options.ts';
import { runtimeInternals, type Runtime } from '../../src/runtime/runtime.ts';
import type { HandoffRecord } from '../../src/runtime/handoff-records.ts';
import type { RunRecord } from '../../src/runtime/records.ts';
import type { JobRecord } from '../../src/store/db.ts';
import { fresh } from '../runtime/lifecycle.ts';
import type { GatewayOptions } from '../../src/restate/gateway.ts';
import { fetchAs, startGatewayServer, type GatewayServer } from './gateway-server.ts';
import { MemoryRuns } from './memory-runs.ts';

const servers: GatewayServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

export interface Setup extends Awaited<ReturnType<typeof fresh>> {
  runs: MemoryRuns;
  gateway: GatewayServer;
}

/** A gateway (with `gateway` options) over a `MemoryRuns` serving `served`, and a fresh runtime calling it as Alice. */
export async function setup(options: Partial<RuntimeOptions> & { start?: boolean; served?: string[]; gateway?: Partial<GatewayOptions> } = {}): Promise<Setup> {
  const { served = ['agent'], gateway: gatewayOptions, ...rest } = options;
  const runs = new MemoryRuns(served);
  const gateway = await startGatewayServer(runs, gatewayOptions);
  servers.push(gateway);
  const f = await fresh({ handoff: { fetch: fetchAs('alice'), retryMs: 1000, statusPollMs: 1000 }, ...rest });
  return { ...f, runs, gateway };
}

/** Every record of `table`, straight from the database. */
export async function rows<T>(runtime: Runtime, table: 'runs' | 'jobs' | 'handoffs' | 'events' | 'kv' | 'terminals'): Promise<T[]> {
  return runtimeInternals(runtime).ctx.store.read((t) => t.getAll<T>(table, undefined));
}

export const handoffs = (rt: Runtime) => rows<HandoffRecord>(rt, 'handoffs');
export const runRecord = async (rt: Runtime, runId: string) => (await rows<RunRecord>(rt, 'runs')).find((r) => r.runId === runId);
export const stepJobs = async (rt: Runtime) => (await rows<JobRecord>(rt, 'jobs')).filter((j) => j.headers['workflow.terminal'] === undefined && j.state !== 'done');
