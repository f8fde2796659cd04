/**
 * Capacity behaviour of the sandbox manager with a fake driver: a job that finds no resources waits
 * at the head of the line (its place reported) and runs once they return, never failing; idle
 * attempt sessions are reclaimed and recreated on demand; an exhausted subnet pool reclaims the
 * longest idle session first; pre-warming never delays a job someone waits for.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logger/index.ts';
import { FakeClock } from '../platform/index.ts';
import { noSandbox } from './index.ts';
import { SandboxManager } from './manager.ts';
import { defaultLimits, ResourceShortage, type SandboxDriver, type SessionSpec } from './types.ts';

/** A driver whose sessions are plain records; `shortages` makes the next creations fail transiently. */
function fakeDriver(opts: { subnets?: number } = {}) {
  let n = 0;
  const live = new Set<string>();
  const created: SessionSpec[] = [];
  const state = { shortages: 0, hang: undefined as Promise<void> | undefined };
  const driver: SandboxDriver = {
    ...noSandbox(),
    name: 'docker',
    status: async () => ({ driver: 'docker', ready: true }),
    async createSession(spec) {
      await state.hang;
      if (state.shortages > 0) {
        state.shortages--;
        throw new ResourceShortage('engine', 'the Docker engine is busy');
      }
      const gateways = created.filter((s, i) => s.network === 'gateway' && live.has(`s${i + 1}`)).length;
      if (spec.network === 'gateway' && opts.subnets !== undefined && gateways >= opts.subnets)
        throw new ResourceShortage('addresses', 'every subnet is in use');
      created.push(spec);
      const id = `s${++n}`;
      live.add(id);
      return { id, spec };
    },
    async destroy(session) {
      live.delete(session.id);
    },
  };
  return { driver, live, created, state };
}

const managerOn = (
  driver: SandboxDriver,
  over: Partial<ConstructorParameters<typeof SandboxManager>[0]> = {},
) =>
  new SandboxManager({
    driver,
    logger: silentLogger,
    limits: defaultLimits,
    poolSize: 0,
    warmEnvs: [],
    maxConcurrent: 1,
    backoff: { firstMs: 5, maxMs: 20 },
    ...over,
  });

describe('a job that finds no resources', () => {
  it('waits at the head of the line with its place reported, then runs: it never fails', async () => {
    const { driver, state } = fakeDriver();
    const m = managerOn(driver);
    state.shortages = 3;
    const positions: number[] = [];
    const result = await m
      .claim({ owner: 'a1', onPosition: (p) => positions.push(p) })
      .run(() => m.useAttempt('a1', 'node', 'gateway', async (sb) => sb.session.id));
    expect(result).toBe('s1');
    // Started (0), back in line as next (1) after each shortage, started again.
    expect(positions).toEqual([0, 1, 0, 1, 0, 1, 0]);
  });

  it('gives its slot to the next job while it backs off', async () => {
    const { driver, state } = fakeDriver();
    const m = managerOn(driver, { backoff: { firstMs: 200, maxMs: 200 } });
    state.shortages = 1;
    const order: string[] = [];
    const a = m
      .claim({ owner: 'a' })
      .run(() => m.useAttempt('a', 'node', 'gateway', async () => order.push('a')));
    const b = m.claim({ owner: 'b' }).run(async () => order.push('b'));
    await Promise.all([a, b]);
    expect(order).toEqual(['b', 'a']);
  });

  it('is not run again once cancelled while it ran', async () => {
    const { driver, state } = fakeDriver();
    const m = managerOn(driver);
    state.shortages = 1;
    const ticket = m.claim({ owner: 'a' });
    let calls = 0;
    const run = ticket.run(async () => {
      calls++;
      ticket.cancel();
      return m.useAttempt('a', 'node', 'gateway', async () => 'ran');
    });
    await expect(run).rejects.toBeInstanceOf(ResourceShortage);
    expect(calls).toBe(1);
  });

  it('a grading (slot) waits out a shortage the same way', async () => {
    const { driver, state } = fakeDriver();
    const m = managerOn(driver);
    state.shortages = 2;
    const graded = await m.slot(() =>
      m.withFreshSession('node', 'grade', 'a1', async (s) => `graded in ${s.id}`, { network: 'gateway' }),
    );
    expect(graded).toBe('graded in s1');
  });

  it('other errors still fail the job', async () => {
    const m = managerOn(noSandbox('no engine'));
    await expect(m.slot(() => m.withFreshSession('node', 'grade', 'a1', async () => 'x'))).rejects.toThrow(
      /no engine/,
    );
  });
});

describe('idle attempt sessions', () => {
  it('are destroyed after idleMs unused, and the next job gets a fresh one with nothing synced', async () => {
    const { driver, live } = fakeDriver();
    const clock = new FakeClock();
    const m = managerOn(driver, { idleMs: 60_000, clock });
    const first = await m.useAttempt('a1', 'node', 'none', async (sb) => {
      sb.synced.set('main.mjs', 'sha-1');
      return sb.session.id;
    });
    clock.advance(59_999);
    expect(await m.reclaimIdle()).toBe(0);
    clock.advance(1);
    expect(await m.reclaimIdle()).toBe(1);
    expect(live.has(first)).toBe(false);
    expect(m.existing('a1')).toBeUndefined();

    const again = await m.useAttempt('a1', 'node', 'none', async (sb) => ({
      id: sb.session.id,
      synced: sb.synced.size,
    }));
    expect(again).toEqual({ id: 's2', synced: 0 }); // every file is sent again
  });

  it('are never reclaimed while a job holds them, however long it runs', async () => {
    const { driver, live } = fakeDriver();
    const clock = new FakeClock();
    const m = managerOn(driver, { idleMs: 1000, clock });
    let release!: () => void;
    const held = m.useAttempt(
      'a1',
      'node',
      'none',
      (sb) => new Promise<string>((r) => (release = () => r(sb.session.id))),
    );
    await new Promise((r) => setImmediate(r));
    clock.advance(10_000);
    expect(await m.reclaimIdle()).toBe(0);
    release();
    const id = await held;
    expect(live.has(id)).toBe(true);
    clock.advance(999);
    expect(await m.reclaimIdle()).toBe(0); // idle time counts from the end of the job
    clock.advance(1);
    expect(await m.reclaimIdle()).toBe(1);
  });

  it('idleMs 0 keeps sessions until submit', async () => {
    const { driver } = fakeDriver();
    const clock = new FakeClock();
    const m = managerOn(driver, { clock });
    await m.forAttempt('a1', 'node', 'none');
    clock.advance(86_400_000);
    expect(await m.reclaimIdle()).toBe(0);
  });
});

describe('an exhausted subnet pool', () => {
  it('reclaims the longest idle gateway session and gives its subnet to the job', async () => {
    const { driver, live } = fakeDriver({ subnets: 2 });
    const clock = new FakeClock();
    const m = managerOn(driver, { clock });
    const a = await m.useAttempt('old', 'node', 'gateway', async (sb) => sb.session.id);
    clock.advance(1000);
    const b = await m.useAttempt('recent', 'node', 'gateway', async (sb) => sb.session.id);
    clock.advance(1000);
    const c = await m.useAttempt('new', 'node', 'gateway', async (sb) => sb.session.id);
    expect(live.has(a)).toBe(false);
    expect(live.has(b)).toBe(true);
    expect(live.has(c)).toBe(true);
  });

  it('with every session busy, the job waits (shortage) until one is free', async () => {
    const { driver } = fakeDriver({ subnets: 1 });
    const m = managerOn(driver, { maxConcurrent: 2 });
    let release!: () => void;
    const busy = m
      .claim({ owner: 'a' })
      .run(() => m.useAttempt('a', 'node', 'gateway', () => new Promise<void>((r) => (release = r))));
    await new Promise((r) => setTimeout(r, 5));
    const positions: number[] = [];
    const waiting = m
      .claim({ owner: 'b', onPosition: (p) => positions.push(p) })
      .run(() => m.useAttempt('b', 'node', 'gateway', async (sb) => sb.session.id));
    await new Promise((r) => setTimeout(r, 30));
    expect(positions).toContain(1); // shown as next in line while it waits
    release();
    await busy;
    await m.release('a'); // submit frees the subnet
    expect(await waiting).toMatch(/^s\d$/);
  });
});

describe('creation gate', () => {
  it('lets a job someone waits for go before a backlog of pre-warming', async () => {
    const { driver, state, created } = fakeDriver();
    const m = managerOn(driver, { maxCreating: 1 });
    let open!: () => void;
    state.hang = new Promise<void>((r) => (open = r));
    const warm = ['w1', 'w2', 'w3'].map((id) => m.forAttempt(id, 'node', 'none', { background: true }));
    const urgent = m.forAttempt('run', 'node', 'none');
    open();
    await Promise.all([...warm, urgent]);
    // w1 was already being created; the Run's session comes next, before w2 and w3.
    expect(created.map((s) => s.ownerId)).toEqual(['w1', 'run', 'w2', 'w3']);
  });
});
