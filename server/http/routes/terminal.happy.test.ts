/**
 * The terminal as a candidate uses it, through a real server with a fake shell (no Docker): reload
 * reattaches to the same shell with its screen, a second tab takes over, an exited shell is replaced
 * on the next connection, input and output reach the reviewer's timeline, and a shell holds a sandbox
 * slot only while busy.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../testing/index.ts';
import { fakeShellDriver, listenTestApp, openTerminal } from '../../testing/terminal.ts';
import { LocalDriver } from '../../sandbox/index.ts';
import { silentLogger } from '../../logger/index.ts';
import { freePort } from '../../../tests/helpers/process.ts';
import type { Listening } from '../listen.ts';

describe('terminal (fake shell, real server)', () => {
  let t: TestApp;
  let server: Listening;
  let driver: ReturnType<typeof fakeShellDriver>;

  beforeEach(async () => {
    const port = await freePort();
    driver = fakeShellDriver(new LocalDriver({ logger: silentLogger, useBwrap: false }));
    t = await makeTestApp({
      driver,
      env: { PUBLIC_URL: `http://127.0.0.1:${port}` },
      sandbox: { maxConcurrent: 1, idleMs: 60_000 },
      terminal: { busyMs: 400 },
    });
    await t.importExample();
    server = await listenTestApp(t);
  });
  afterEach(async () => {
    await t.services.terminal.close();
    await server.close(100);
    await t.services.runs.settle();
    await t.close();
  });

  it('a reload reattaches to the same shell and shows what was on screen', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const first = await openTerminal(t, attemptId, browser);
    first.type('echo before\r');
    await first.waitFor(/ran: echo before/);
    expect(first.messages[0]).toEqual({ t: 'ready', resumed: false });
    first.close();
    await first.closed;

    const again = await openTerminal(t, attemptId, browser, { query: '?cols=120&rows=40' });
    await again.waitFor(/ran: echo before/);
    expect(again.messages[0]).toEqual({ t: 'ready', resumed: true });
    again.type('echo after\r');
    await again.waitFor(/ran: echo after/);
    expect(driver.shells).toHaveLength(1);
    expect(driver.shells[0]!.size).toEqual({ cols: 120, rows: 40 });
    again.send({ t: 'resize', cols: 100, rows: 30 });
    await again.waitFor(/ran: echo after/);
    await expect.poll(() => driver.shells[0]!.size).toEqual({ cols: 100, rows: 30 });
  });

  it('a second tab takes the shell over; the first is told why', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const tab1 = await openTerminal(t, attemptId, browser);
    await tab1.waitFor(/\$ /);
    const tab2 = await openTerminal(t, attemptId, browser);
    expect(await tab1.closed).toEqual({ code: 4002, reason: 'opened elsewhere' });
    expect(tab1.messages.at(-1)).toMatchObject({ t: 'ended', reason: expect.stringMatching(/another tab/) });
    tab2.type('pwd\r');
    await tab2.waitFor(/ran: pwd/);
    expect(driver.shells).toHaveLength(1);
  });

  it('an exited shell ends the connection; the next one starts a fresh shell', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const term = await openTerminal(t, attemptId, browser);
    term.type('exit\r');
    expect((await term.closed).code).toBe(4001);
    expect(term.messages.at(-1)).toMatchObject({ t: 'ended', final: false, reason: /exited/ });
    const next = await openTerminal(t, attemptId, browser);
    expect(next.messages[0] ?? (await next.waitFor(/\$/), next.messages[0])).toEqual({
      t: 'ready',
      resumed: false,
    });
    expect(driver.shells).toHaveLength(2);
  });

  it("records input and output on the attempt's timeline for reviewers", async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const term = await openTerminal(t, attemptId, browser);
    term.type('cat notes.txt\r');
    await term.waitFor(/ran: cat notes.txt/);
    await t.services.terminal.flush();
    await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    await term.closed;
    const admin = await t.staff('admin');
    const { json } = await t.req(admin, 'GET', `/api/attempts/${attemptId}/events`);
    const events = (json.events as Array<{ type: string; payload: Record<string, unknown> }>).filter((e) =>
      e.type.startsWith('terminal.'),
    );
    expect(events.map((e) => e.type)).toEqual(['terminal.opened', 'terminal.io', 'terminal.ended']);
    expect(events[1]!.payload.in).toBe('cat notes.txt\r');
    expect(events[1]!.payload.out).toContain('ran: cat notes.txt');
    expect(events[2]!.payload.reason).toMatch(/submitted/);
  });

  it('holds a sandbox slot only while busy: an idle shell lets a Run start at once', async () => {
    const a = await t.startedCandidate('Ada', 'ada@example.com');
    const b = await t.startedCandidate('Bob', 'bob@example.com');
    const term = await openTerminal(t, a.attemptId, a.browser);
    await term.waitFor(/\$ /);
    // Idle (no keystroke yet): Bob's Run is not held up by Ada's open terminal.
    const idle = await t.req(b.browser, 'POST', `/api/attempts/${b.attemptId}/runs`, { kind: 'run' });
    expect(idle.json.run.queuePosition).toBe(0);
    await t.services.runs.settle();

    // Busy: a keystroke takes the only slot, and Bob's next Run waits in line until the shell is quiet.
    term.type('make\r');
    await term.waitFor(/ran: make/);
    const busy = await t.req(b.browser, 'POST', `/api/attempts/${b.attemptId}/runs`, { kind: 'run' });
    expect(busy.json.run.queuePosition).toBe(1);
    await t.services.runs.settle();
    const run = await t.req(b.browser, 'GET', `/api/attempts/${b.attemptId}/runs/${busy.json.run.id}`);
    expect(run.json.run.status).toBe('done');
  });

  it('an open shell keeps its sandbox from the idle reclaim; once it has ended the sandbox is reclaimable', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const term = await openTerminal(t, attemptId, browser);
    await term.waitFor(/\$ /);
    t.clock.advance(61_000);
    expect(await t.services.sandbox.reclaimIdle()).toBe(0);
    term.type('exit\r');
    await term.closed;
    t.clock.advance(61_000);
    expect(await t.services.sandbox.reclaimIdle()).toBe(1);
  });

  it('closes at the deadline (plus grace) with the reason, even before the sweeper submits', async () => {
    const { browser, attemptId, attempt } = await t.startedCandidate();
    t.clock.set(attempt.deadlineAt + t.config.submitGraceMs - 300);
    const term = await openTerminal(t, attemptId, browser);
    expect(await term.closed).toEqual({ code: 4000, reason: 'attempt over' });
    expect(term.messages.at(-1)).toEqual({
      t: 'ended',
      reason: 'Time is up: the terminal is closed.',
      final: true,
    });
    expect(driver.shells[0]!.killed).toBe(true);
  });

  it('a flood of output reaches the browser whole, but the timeline keeps only its bounded share', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const term = await openTerminal(t, attemptId, browser);
    term.type('flood 200000\r');
    await term.waitFor(/ran: flood 200000/);
    expect(term.output().match(/x/g)).toHaveLength(200_000);
    await t.services.terminal.flush();
    const admin = await t.staff('admin');
    const { json } = await t.req(admin, 'GET', `/api/attempts/${attemptId}/events`);
    const io = (
      json.events as Array<{ type: string; payload: { out?: string; droppedOut?: number } }>
    ).filter((e) => e.type === 'terminal.io');
    const kept = io.reduce((n, e) => n + (e.payload.out?.length ?? 0), 0);
    const dropped = io.reduce((n, e) => n + (e.payload.droppedOut ?? 0), 0);
    expect(kept).toBe(32 * 1024);
    expect(kept + dropped).toBeGreaterThanOrEqual(200_000);
  });
});
