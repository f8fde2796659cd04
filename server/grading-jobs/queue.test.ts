/**
 * Gradings as durable jobs, through the product: a candidate submits over HTTP, the hidden tests run
 * in the local driver, and a driver wrapper injects engine trouble. Staff read the grading over HTTP.
 * Time is the fake clock: a retry's wait is passed by moving it, never by sleeping.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exampleTaskDir, makeTestApp, type Browser, type TestApp } from '../testing/index.ts';
import { addressPoolError, faultyDriver, notRunningError, type Faults } from '../testing/faulty-driver.ts';
import { LocalDriver, noSandbox } from '../sandbox/index.ts';
import { silentLogger } from '../logger/index.ts';

let t: TestApp;
afterEach(() => t?.close());

async function app(faults: Faults, env: Record<string, string> = {}) {
  const driver = faultyDriver(new LocalDriver({ logger: silentLogger, useBwrap: false }), faults);
  t = await makeTestApp({ driver, env });
  await t.importExample();
  return { driver, admin: await t.staff('admin') };
}

/** A candidate submits the reference solution (or the untouched starter). */
async function submit(solved = true) {
  const { browser, attemptId } = await t.startedCandidate();
  if (solved) {
    const content = await readFile(path.join(exampleTaskDir, 'solution/parse-model-json.mjs'), 'utf8');
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, { path: 'parse-model-json.mjs', content });
  }
  expect((await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`)).status).toBe(200);
  await t.services.settle();
  return attemptId;
}

const gradeOf = async (who: Browser, attemptId: string) =>
  (await t.req(who, 'GET', `/api/attempts/${attemptId}/grade`)).json.grade;

/** Moves the clock past any backoff and lets the worker take what is due. */
async function passTheWait() {
  t.clock.advance(10 * 60_000);
  t.services.grading.kick();
  await t.services.settle();
}

const gradedEvents = async (attemptId: string) =>
  t.ctx.db
    .selectFrom('attempt_events')
    .select('payload_json')
    .where('attempt_id', '=', attemptId)
    .where('type', '=', 'attempt.graded')
    .execute();

describe('grading jobs: happy', () => {
  it('retries a grading hit by engine errors with backoff and grades it once the engine recovers', async () => {
    const faults: Faults = { failCreates: { n: 2, error: addressPoolError } };
    const { admin } = await app(faults);
    const attemptId = await submit();

    const first = await gradeOf(admin, attemptId);
    expect(first).toMatchObject({
      status: 'retry_wait',
      tries: 1,
      maxTries: 6,
      reason: 'submit',
      verdict: null,
    });
    expect(first.lastError).toMatch(/try 1 of 6 failed: .*non-overlapping IPv4 address pool/);
    // Backoff: at least half the base step (5 s), at most the step.
    expect(first.nextRunAt - t.clock.now()).toBeGreaterThanOrEqual(2500);
    expect(first.nextRunAt - t.clock.now()).toBeLessThanOrEqual(5000);

    // Not due yet: nothing is tried.
    t.services.grading.kick();
    await t.services.settle();
    expect(await gradeOf(admin, attemptId)).toMatchObject({ status: 'retry_wait', tries: 1 });

    await passTheWait();
    const second = await gradeOf(admin, attemptId);
    expect(second).toMatchObject({ status: 'retry_wait', tries: 2 });
    // The second wait is longer (exponential): at least half of 10 s.
    expect(second.nextRunAt - t.clock.now()).toBeGreaterThanOrEqual(5000);

    await passTheWait();
    const done = await gradeOf(admin, attemptId);
    expect(done).toMatchObject({ status: 'done', verdict: 'passed', failed: 0, tries: 3, error: null });
    expect(done.passed).toBeGreaterThanOrEqual(8);
    // One timeline event for the grading, when it ended.
    const events = await gradedEvents(attemptId);
    expect(events.map((e) => JSON.parse(e.payload_json))).toEqual([
      expect.objectContaining({ gradeId: done.id, verdict: 'passed', reason: 'submit' }),
    ]);
  });

  it("does not take a sandbox the engine stopped mid-grade as the candidate's verdict", async () => {
    const { admin } = await app({ lostSessions: 1 });
    const attemptId = await submit();
    const lost = await gradeOf(admin, attemptId);
    expect(lost).toMatchObject({ status: 'retry_wait', tries: 1, verdict: null, passed: 0 });
    expect(lost.lastError).toContain('the sandbox stopped while grading');
    await passTheWait();
    expect(await gradeOf(admin, attemptId)).toMatchObject({ status: 'done', verdict: 'passed', tries: 2 });
  });

  it('retries when the engine fails both grading processes mid-run, and the server lives on', async () => {
    // Subject and harness execs both fail: the failure of the one nobody awaits must not be an
    // unhandled rejection (it ended the server process before; vitest fails the run on one).
    const { admin } = await app({ failExecs: { n: 2, error: notRunningError } });
    const attemptId = await submit();
    const g = await gradeOf(admin, attemptId);
    expect(g).toMatchObject({ status: 'retry_wait', tries: 1, verdict: null });
    expect(g.lastError).toContain('is not running');
    await passTheWait();
    expect(await gradeOf(admin, attemptId)).toMatchObject({ status: 'done', verdict: 'passed', tries: 2 });
  });

  it("grades a candidate's failing tests once, as a verdict: no retry", async () => {
    const { admin, driver } = await app({});
    const attemptId = await submit(false);
    expect(await gradeOf(admin, attemptId)).toMatchObject({ status: 'done', verdict: 'failed', tries: 1 });
    expect(driver.creates).toBe(1);
  });
});

describe('grading jobs: error', () => {
  it('fails at once, with the reason for staff, on an error another try would repeat', async () => {
    const { admin, driver } = await app({
      failCreates: { n: 1, error: () => new Error('unknown sandbox environment "cobol"') },
    });
    const attemptId = await submit();
    const g = await gradeOf(admin, attemptId);
    expect(g).toMatchObject({
      status: 'failed',
      tries: 1,
      verdict: null,
      error: 'grading failed: unknown sandbox environment "cobol"',
      nextRunAt: null,
    });
    expect(g.finishedAt).toBe(t.clock.now());
    await passTheWait();
    expect(driver.creates).toBe(1);
    const events = await gradedEvents(attemptId);
    expect(JSON.parse(events[0]!.payload_json)).toMatchObject({ status: 'failed', error: g.error });
  });

  it('fails after the last try with the last engine error, never silently', async () => {
    const { admin, driver } = await app(
      { failCreates: { n: 99, error: addressPoolError } },
      { GRADING_MAX_TRIES: '3' },
    );
    const attemptId = await submit();
    await passTheWait();
    await passTheWait();
    const g = await gradeOf(admin, attemptId);
    expect(g).toMatchObject({ status: 'failed', tries: 3, maxTries: 3 });
    expect(g.error).toMatch(/^grading failed after 3 tries; the last engine error: .*address pool/);
    await passTheWait();
    expect(driver.creates).toBe(3);
  });

  it('waits without spending tries while sandboxes cannot run, and says why', async () => {
    t = await makeTestApp({ driver: noSandbox('the Docker engine does not answer') });
    await t.importExample();
    const admin = await t.staff('admin');
    const attemptId = await submit();
    expect(await gradeOf(admin, attemptId)).toMatchObject({
      status: 'queued',
      tries: 0,
      lastError: 'not graded yet: the Docker engine does not answer',
    });
  });
});
