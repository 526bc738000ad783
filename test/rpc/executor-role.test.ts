/**
 * The executor role between two builds on one database (src/host/executor-role.ts), over an
 * in-memory FIFO lock manager: the holder yields to an instance that registers work it parked,
 * after draining, and each build keeps making progress when each has work only it knows.
 */
import { describe, expect, it } from 'vitest';
import { Outcome } from '../../src/core/outcome.ts';
import { MIN_TURN_MS, takeExecutorRole } from '../../src/host/executor-role.ts';
import { names } from '../../src/rpc/protocol.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import type { Step } from '../../src/runtime/types.ts';
import { scriptedRunner, settle } from '../runtime/harness.ts';
import { fresh } from '../runtime/lifecycle.ts';
import { FakeLocks } from './fake-locks.ts';

const DB = 'deploy';

/** Four steps a second apart (so that each build has work over several turns), each recorded with its attempt. */
function steps(seen: [string, number, number][]) {
  return scriptedRunner([
    (s: Step) => {
      seen.push([s.runId, s.stepNumber, s.attempts]);
      return s.stepNumber < 3 ? Outcome.next('more', { delayMs: 1000 }) : Outcome.succeed(s.runId);
    },
  ]);
}

function role(locks: FakeLocks, id: string, runtime: Runtime, workflows: string[], changes: string[]) {
  return takeExecutorRole({
    locks: locks.client(id),
    db: DB,
    instanceId: id,
    runtime,
    clock: runtime.clock,
    knows: { workflows, hooks: [] },
    onChange: (now) => changes.push(`${id}:${now ? 'on' : 'off'}`),
  });
}

describe('the executor role during a deploy', () => {
  it('alternates between two builds that each have work only they know, and every run succeeds with one attempt per step', async () => {
    const seen: [string, number, number][] = [];
    const { runtime: a, clock, reopen } = await fresh({ start: false, workflows: { x: steps(seen) } });
    const b = await reopen({ workflows: { y: steps(seen) } });
    for (let i = 0; i < 3; i++) {
      await a.submit({ workflow: 'x', runId: `x${i}`, input: i });
      await b.submit({ workflow: 'y', runId: `y${i}`, input: i });
    }
    const locks = new FakeLocks();
    const changes: string[] = [];
    const roleA = role(locks, 'A', a, ['x'], changes);
    await roleA.first;
    const roleB = role(locks, 'B', b, ['y'], changes);

    const ids = ['x0', 'x1', 'x2', 'y0', 'y1', 'y2'];
    for (let i = 0; i < 200; i++) {
      const states = await Promise.all(ids.map(async (id) => (await a.status(id))?.state));
      if (states.every((s) => s === 'succeeded')) break;
      clock.advance(250);
      await settle(3);
    }
    for (const id of ids) expect(await a.wait(id, { timeoutMs: 0 }).catch((e: Error) => e.name), id).toMatchObject({ status: 'succeeded', result: id });
    // One delivery per step, none interrupted: a yield drains before it lets go.
    expect(seen.map(([, , attempt]) => attempt).every((n) => n === 1)).toBe(true);
    expect(seen).toHaveLength(24);
    // The role changed hands both ways, and never two executors at once.
    expect(changes.slice(0, 5)).toEqual(['A:on', 'A:off', 'B:on', 'B:off', 'A:on']);
    let executing = 0;
    for (const c of changes) {
      executing += c.endsWith(':on') ? 1 : -1;
      expect(executing).toBeLessThanOrEqual(1);
    }
    roleA.close();
    roleB.close();
  });

  it('keeps the role when no live instance registers the work it parked', async () => {
    const { runtime: a, clock, reopen } = await fresh({ start: false, workflows: { x: scriptedRunner([Outcome.succeed(1)]) } });
    const b = await reopen({ workflows: { y: scriptedRunner([Outcome.succeed(2)]) } });
    const gone = await reopen({ workflows: { z: scriptedRunner([Outcome.succeed(3)]) } });
    await gone.submit({ workflow: 'z', runId: 'orphan', input: 0 });
    const locks = new FakeLocks();
    const changes: string[] = [];
    await role(locks, 'A', a, ['x'], changes).first;
    role(locks, 'B', b, ['y'], changes);
    let parks = 0;
    a.parking.onParked(() => parks++);
    for (let i = 0; i < 60; i++) {
      clock.advance(MIN_TURN_MS);
      await settle(3);
    }
    expect(parks).toBeGreaterThan(0);
    expect(changes).toEqual(['A:on']);
    expect(locks.holder(names.executorLock(DB))).toBe('A');
  });

  it('yields to an instance that registers the parked work as soon as it arrives, once its turn is over', async () => {
    const { runtime: a, clock, reopen } = await fresh({ start: false, workflows: { x: scriptedRunner([Outcome.succeed(1)]) } });
    const y = scriptedRunner([Outcome.succeed('y')]);
    const b = await reopen({ workflows: { x: scriptedRunner([Outcome.succeed(1)]), y } });
    const locks = new FakeLocks();
    const changes: string[] = [];
    await role(locks, 'A', a, ['x'], changes).first;
    await b.submit({ workflow: 'y', runId: 'new', input: 0 });
    for (let i = 0; i < 20; i++) {
      clock.advance(500);
      await settle(3);
    }
    expect(changes).toEqual(['A:on']); // parked, but no one to give it to yet
    role(locks, 'B', b, ['x', 'y'], changes);
    for (let i = 0; i < 40 && (await b.status('new'))?.state !== 'succeeded'; i++) {
      clock.advance(500);
      await settle(3);
    }
    expect(await b.status('new')).toMatchObject({ state: 'succeeded', result: 'y' });
    expect(changes).toEqual(['A:on', 'A:off', 'B:on']);
    expect(y.calls.map((s) => s.attempts)).toEqual([1]);
  });
});
