/** The sandbox queue: bounded, fair across owners (round robin), positions reported, grading never refused. */
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.ts';
import { silentLogger } from '../logger/index.ts';
import { noSandbox } from './index.ts';
import { SandboxManager } from './manager.ts';
import { defaultLimits } from './types.ts';

const manager = (over: { maxConcurrent?: number; maxQueued?: number; maxQueuedPerOwner?: number } = {}) =>
  new SandboxManager({
    driver: noSandbox(),
    logger: silentLogger,
    limits: defaultLimits,
    poolSize: 0,
    warmEnvs: [],
    maxConcurrent: 1,
    ...over,
  });

/** A job that runs until released; records when it started. */
function gate(order: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { fn: async () => (order.push(name), done), release };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SandboxManager queue', () => {
  it('serves waiting jobs round robin across owners, not in arrival order', async () => {
    const m = manager({ maxQueuedPerOwner: 5 });
    const order: string[] = [];
    const jobs = ['A1', 'A2', 'A3', 'A4', 'B1', 'C1'].map((n) => ({ n, g: gate(order, n) }));
    const running = jobs.map(({ n, g }) => m.claim({ owner: n[0] }).run(g.fn));
    await tick();
    expect(order).toEqual(['A1']);
    for (const { g } of jobs) {
      g.release();
      await tick();
      await tick();
    }
    await Promise.all(running);
    // A floods, but B and C each start as soon as one slot frees, before A's backlog.
    expect(order).toEqual(['A1', 'A2', 'B1', 'C1', 'A3', 'A4']);
  });

  it('tells each waiting job its place in line as the line moves, and 0 when it starts', async () => {
    const m = manager();
    const seen: Record<string, number[]> = { A: [], B: [], C: [] };
    const order: string[] = [];
    const gates = { A: gate(order, 'A'), B: gate(order, 'B'), C: gate(order, 'C') };
    const runs = (['A', 'B', 'C'] as const).map((o) =>
      m.claim({ owner: o, onPosition: (p) => seen[o]!.push(p) }).run(gates[o].fn),
    );
    expect(seen).toEqual({ A: [0], B: [1], C: [2] });
    gates.A.release();
    await tick();
    await tick();
    expect(seen).toEqual({ A: [0], B: [1, 0], C: [2, 1] });
    gates.B.release();
    gates.C.release();
    await Promise.all(runs);
    expect(seen.C).toEqual([2, 1, 0]);
  });

  it('refuses a second waiting run of one owner, and any run past the queue bound, with a Retry-After', async () => {
    const m = manager({ maxQueued: 2 });
    const order: string[] = [];
    const g = gate(order, 'busy');
    const running = m.claim({ owner: 'X' }).run(g.fn);
    m.claim({ owner: 'A' });
    expect(() => m.claim({ owner: 'A' })).toThrow(AppError);
    m.claim({ owner: 'B' });
    let refused: unknown;
    try {
      m.claim({ owner: 'C' });
    } catch (err) {
      refused = err;
    }
    expect(refused).toMatchObject({
      code: 'rate_limited',
      details: { retryAfterSeconds: expect.any(Number) },
    });
    expect((refused as AppError).message).toMatch(/busy/);
    // Grading is never refused: it waits its turn.
    const graded = m.slot(async () => 'graded');
    expect(m.queued).toBe(3);
    g.release();
    await running;
    expect(m.queued).toBeGreaterThan(0);
    void graded;
  });

  it('a cancelled place in line frees it for the next job', async () => {
    const m = manager();
    const order: string[] = [];
    const busy = gate(order, 'busy');
    const running = m.claim({ owner: 'X' }).run(busy.fn);
    const a = m.claim({ owner: 'A' });
    const aRun = a.run(async () => order.push('A'));
    const b = m.claim({ owner: 'B' });
    const bRun = b.run(async () => order.push('B'));
    a.cancel();
    await expect(aRun).rejects.toThrow(/given up/);
    busy.release();
    await running;
    await bRun;
    expect(order).toEqual(['busy', 'B']);
  });
});
