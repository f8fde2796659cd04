/**
 * The due-job pump over an in-memory table of jobs, with a fake clock and fake timers: what runs
 * when, how many at once, when it looks again, and what stop and kick do. Time never passes for
 * real: timers fire only when the test advances them.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DuePump, FakeClock, type DuePumpOptions } from './index.ts';

interface Job {
  id: string;
  dueAt: number;
  state: 'queued' | 'running' | 'done';
}

/** A table of jobs and a pump over it; each run waits until the test finishes it (`finish(id)`). */
function setup(opts: Partial<DuePumpOptions<Job>> & { jobs?: Array<[string, number]> } = {}) {
  const clock = new FakeClock(1_000_000);
  const jobs: Job[] = (opts.jobs ?? []).map(([id, inMs]) => ({
    id,
    dueAt: clock.now() + inMs,
    state: 'queued',
  }));
  const finishers = new Map<string, (err?: Error) => void>();
  const started: string[] = [];
  const errors: unknown[] = [];
  const calls = { claim: 0, nextDue: 0 };
  const pump = new DuePump<Job>({
    clock,
    concurrency: 2,
    claim: async () => {
      calls.claim++;
      const job = jobs.find((j) => j.state === 'queued' && j.dueAt <= clock.now());
      if (job) job.state = 'running';
      return job;
    },
    run: (job) =>
      new Promise<void>((resolve, reject) => {
        started.push(job.id);
        finishers.set(job.id, (err) => {
          job.state = 'done';
          if (err) reject(err);
          else resolve();
        });
      }),
    nextDue: async () => {
      calls.nextDue++;
      const waiting = jobs.filter((j) => j.state === 'queued').map((j) => j.dueAt);
      return waiting.length ? Math.min(...waiting) : undefined;
    },
    onError: (err) => errors.push(err),
    ...opts,
  });
  /** Lets pending promise callbacks run (the pump's looks are async). */
  const flush = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  const finish = async (id: string, err?: Error) => {
    finishers.get(id)!(err);
    await flush();
  };
  /** Moves the clock and the timers together by `ms`. */
  const pass = async (ms: number) => {
    clock.advance(ms);
    await vi.advanceTimersByTimeAsync(ms);
    await flush();
  };
  const add = (id: string, inMs: number) => jobs.push({ id, dueAt: clock.now() + inMs, state: 'queued' });
  return { pump, clock, jobs, started, errors, calls, flush, finish, pass, add };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DuePump: happy', () => {
  it('runs due jobs, at most `concurrency` at once, and takes the next as soon as one finishes', async () => {
    const t = setup({
      jobs: [
        ['a', 0],
        ['b', 0],
        ['c', 0],
      ],
    });
    t.pump.kick();
    await t.flush();
    expect(t.started).toEqual(['a', 'b']);
    expect(t.pump.active).toBe(2);

    await t.finish('a');
    expect(t.started).toEqual(['a', 'b', 'c']);
    await t.finish('b');
    await t.finish('c');
    await t.pump.settle();
    expect(t.pump.active).toBe(0);
    expect(t.jobs.every((j) => j.state === 'done')).toBe(true);
  });

  it('sleeps until the next job is due and runs it then, not before', async () => {
    const t = setup({ jobs: [['later', 5_000]] });
    t.pump.kick();
    await t.flush();
    expect(t.started).toEqual([]);

    await t.pass(4_999);
    expect(t.started).toEqual([]);
    await t.pass(1);
    expect(t.started).toEqual(['later']);
  });

  it('looks again when kicked (a job was added) instead of waiting for its timer', async () => {
    const t = setup({ jobs: [['far', 3_600_000]] });
    t.pump.kick();
    await t.flush();
    t.add('new', 0);
    t.pump.kick();
    await t.flush();
    expect(t.started).toEqual(['new']);
  });

  it('takes a kick that arrives during a look into that look (another round), never two looks at once', async () => {
    const jobs: Job[] = [{ id: 'a', dueAt: 0, state: 'queued' }];
    const ran: string[] = [];
    let looking = 0;
    let mostAtOnce = 0;
    let addedDuringLook = false;
    const pump: DuePump<Job> = new DuePump<Job>({
      clock: new FakeClock(),
      concurrency: 4,
      beforeClaim: async () => {
        looking++;
        mostAtOnce = Math.max(mostAtOnce, looking);
        await Promise.resolve();
        looking--;
      },
      claim: async () => {
        const job = jobs.find((j) => j.state === 'queued');
        if (job) {
          job.state = 'running';
          return job;
        }
        if (!addedDuringLook) {
          // Another request queues a job and kicks while this look is finishing.
          addedDuringLook = true;
          jobs.push({ id: 'b', dueAt: 0, state: 'queued' });
          pump.kick();
        }
        return undefined;
      },
      run: async (job) => {
        ran.push(job.id);
      },
      nextDue: async () => undefined, // no timer: only the kick can find b
      onError: (err) => {
        throw err;
      },
    });
    pump.kick();
    await pump.settle();
    expect(ran).toEqual(['a', 'b']);
    expect(mostAtOnce).toBe(1);
  });

  it('with pollMs looks again that often even when nothing is due, and sooner when a job is due sooner', async () => {
    const t = setup({ pollMs: 1_000 });
    t.pump.kick();
    await t.flush();
    const before = t.calls.claim;
    await t.pass(1_000);
    expect(t.calls.claim).toBe(before + 1);

    const u = setup({ pollMs: 1_000, jobs: [['soon', 300]] });
    u.pump.kick();
    await u.flush();
    await u.pass(300);
    expect(u.started).toEqual(['soon']);
  });

  it('caps one sleep at maxSleepMs, so a clock that jumps is noticed', async () => {
    const t = setup({ maxSleepMs: 60_000, jobs: [['tomorrow', 86_400_000]] });
    t.pump.kick();
    await t.flush();
    const looks = t.calls.nextDue;
    await vi.advanceTimersByTimeAsync(60_000);
    await t.flush();
    expect(t.calls.nextDue).toBe(looks + 1);

    // The clock jumped a day (timers did not): the next capped wake-up finds the job due.
    t.clock.advance(86_400_000);
    await vi.advanceTimersByTimeAsync(60_000);
    await t.flush();
    expect(t.started).toEqual(['tomorrow']);
  });
});

describe('DuePump: error', () => {
  it('reports a job that throws and goes on with the next', async () => {
    const t = setup({
      concurrency: 1,
      jobs: [
        ['bad', 0],
        ['good', 0],
      ],
    });
    t.pump.kick();
    await t.flush();
    await t.finish('bad', new Error('smtp down'));
    expect(t.errors).toEqual([new Error('smtp down')]);
    expect(t.started).toEqual(['bad', 'good']);
  });

  it('reports a look that throws; the next kick looks again', async () => {
    let broken = true;
    const t = setup({ jobs: [['a', 0]] });
    const pump = new DuePump<Job>({
      clock: t.clock,
      concurrency: 1,
      claim: async () => {
        if (broken) throw new Error('database is gone');
        const job = t.jobs.find((j) => j.state === 'queued');
        if (job) job.state = 'running';
        return job;
      },
      run: async (job) => {
        t.started.push(job.id);
      },
      nextDue: async () => undefined,
      onError: (err) => t.errors.push(err),
    });
    pump.kick();
    await pump.settle();
    expect(t.errors).toEqual([new Error('database is gone')]);
    broken = false;
    pump.kick();
    await pump.settle();
    expect(t.started).toEqual(['a']);
  });

  it('sets no timer while every slot is busy (a due job waiting for a slot must not spin the pump)', async () => {
    const t = setup({
      concurrency: 1,
      jobs: [
        ['a', 0],
        ['b', 0],
      ],
    });
    t.pump.kick();
    await t.flush();
    expect(t.started).toEqual(['a']);
    expect(vi.getTimerCount()).toBe(0);
    const looks = t.calls.claim;
    await t.pass(10_000);
    expect(t.calls.claim).toBe(looks);

    await t.finish('a');
    expect(t.started).toEqual(['a', 'b']);
  });

  it('when beforeClaim says nothing can run, claims nothing and looks again after the given wait', async () => {
    let ready = false;
    const t = setup({
      jobs: [['a', 0]],
      beforeClaim: async () => (ready ? undefined : { lookAgainInMs: 15_000 }),
    });
    t.pump.kick();
    await t.flush();
    expect(t.calls.claim).toBe(0);
    expect(t.calls.nextDue).toBe(0);

    ready = true;
    await t.pass(14_999);
    expect(t.started).toEqual([]);
    await t.pass(1);
    expect(t.started).toEqual(['a']);
  });
});

describe('DuePump: stop and start', () => {
  it('after stop takes nothing more and its timer is gone; running jobs finish; resume picks up', async () => {
    const t = setup({
      concurrency: 1,
      jobs: [
        ['a', 0],
        ['b', 0],
        ['c', 60_000],
      ],
    });
    t.pump.kick();
    await t.flush();
    t.pump.stop();
    expect(t.pump.isStopped).toBe(true);
    await t.finish('a');
    await t.pass(120_000);
    expect(t.started).toEqual(['a']);
    expect(vi.getTimerCount()).toBe(0);

    t.pump.resume();
    t.pump.kick();
    await t.flush();
    expect(t.started).toEqual(['a', 'b']);
  });

  it('stop cancels the wait for a job not yet due', async () => {
    const t = setup({ jobs: [['later', 60_000]] });
    t.pump.kick();
    await t.flush();
    expect(vi.getTimerCount()).toBe(1);
    t.pump.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('built stopped, ignores kicks until resumed', async () => {
    const t = setup({ stopped: true, jobs: [['a', 0]] });
    t.pump.kick();
    await t.flush();
    expect(t.calls.claim).toBe(0);
    t.pump.resume();
    t.pump.kick();
    await t.flush();
    expect(t.started).toEqual(['a']);
  });

  it('does not lose a kick that arrives while it looks for the next due time', async () => {
    let looks = 0;
    const t = setup({
      nextDue: async () => {
        // Another worker puts a job back in line and kicks while this look is on its way.
        if (looks++ === 0) {
          t.add('came-back', 0);
          t.pump.kick();
        }
        return undefined;
      },
    });
    t.pump.kick();
    await t.flush();
    expect(t.started).toEqual(['came-back']);
  });

  it('settle waits for the running jobs and for tracked work', async () => {
    const t = setup({ jobs: [['a', 0]] });
    let tracked = false;
    t.pump.track(Promise.resolve().then(() => (tracked = true)));
    t.pump.kick();
    await t.flush();
    let settled = false;
    const s = t.pump.settle().then(() => (settled = true));
    await t.flush();
    expect(settled).toBe(false);
    await t.finish('a');
    await s;
    expect(settled && tracked).toBe(true);
  });
});

describe('DuePump: leases', () => {
  it('renews a running job’s lease until it ends, and not after the pump stops', async () => {
    const renewed: string[] = [];
    const t = setup({
      jobs: [
        ['a', 0],
        ['b', 0],
      ],
      lease: {
        renewEveryMs: 1_000,
        renew: async (job) => renewed.push(job.id),
        sweepEveryMs: 5_000,
        sweep: async () => 0,
      },
    });
    t.pump.kick();
    await t.flush();
    await t.pass(2_000);
    expect(renewed.sort()).toEqual(['a', 'a', 'b', 'b']);
    await t.finish('a');
    await t.pass(1_000);
    expect(renewed.filter((id) => id === 'a')).toHaveLength(2); // a ended: no more renewals
    expect(renewed.filter((id) => id === 'b')).toHaveLength(3);
    // A stopped worker (shutdown) renews nothing: its running job's lease lapses for another process.
    t.pump.stop();
    await t.pass(3_000);
    expect(renewed.filter((id) => id === 'b')).toHaveLength(3);
  });

  it('sweeps for expired leases only once watching, kicks when jobs came back, stops with the pump', async () => {
    let back = 0;
    const t = setup({
      lease: {
        renewEveryMs: 1_000,
        renew: async () => {},
        sweepEveryMs: 5_000,
        sweep: async () => {
          back++;
          // Another process's job whose lease ran out goes back in line.
          if (back === 2) t.add('orphan', 0);
          return back === 2 ? 1 : 0;
        },
      },
    });
    await t.pass(10_000);
    expect(back).toBe(0); // not watching (the only process on its database)
    t.pump.watchLeases();
    await t.pass(5_000);
    expect(back).toBe(1);
    expect(t.started).toEqual([]);
    await t.pass(5_000);
    expect(back).toBe(2);
    expect(t.started).toEqual(['orphan']);
    t.pump.stop();
    await t.pass(20_000);
    expect(back).toBe(2);
  });
});
