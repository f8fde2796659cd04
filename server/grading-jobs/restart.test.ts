/**
 * A grading survives its process: a try cut off mid-run (the services abandoned with the job running,
 * as a crash leaves them) is taken up by new services over the same database and ends graded; a
 * submission the old process never queued gets its grading too. On SQLite (a file) and on Postgres
 * when TEST_DATABASE_URL is set. The Docker version with real processes is tests/server/grading-restart.test.ts.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dialects, exampleTaskDir, freshDatabaseUrl, makeTestApp, type TestApp } from '../testing/index.ts';
import { faultyDriver, type Faults } from '../testing/faulty-driver.ts';
import { openDatabase, type Database } from '../db/index.ts';
import { FakeClock, JOB_LEASE } from '../platform/index.ts';
import { LocalDriver } from '../sandbox/index.ts';
import { silentLogger } from '../logger/index.ts';
import { needs } from '../../tests/helpers/require.ts';
import { finishDone, renewLease, requeueInterrupted } from './jobs.ts';

const list = dialects();
needs('postgres', list.includes('postgres'), 'set TEST_DATABASE_URL (.ci/run does)');

describe.each(list)('grading across a restart on %s', (dialect) => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  async function databaseUrl() {
    if (dialect === 'postgres') {
      const fresh = await freshDatabaseUrl('postgres');
      cleanup.push(fresh.drop);
      return fresh.url;
    }
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ws-grading-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    return `sqlite:${dir}/ws.db`;
  }

  async function app(
    url: string,
    clock: FakeClock,
    faults: Faults,
  ): Promise<{ t: TestApp; database: Database }> {
    const database = await openDatabase(url);
    cleanup.push(() => database.close());
    const driver = faultyDriver(new LocalDriver({ logger: silentLogger, useBwrap: false }), faults);
    return { t: await makeTestApp({ database, clock, driver }), database };
  }

  it('finishes a grading cut off mid-run, and queues a submission that was never queued', async () => {
    const url = await databaseUrl();
    const clock = new FakeClock();
    const before = await app(url, clock, { hangCreates: true });
    const t1 = before.t;
    await t1.importExample();
    const solution = await readFile(path.join(exampleTaskDir, 'solution/parse-model-json.mjs'), 'utf8');
    const submitSolved = async (email: string) => {
      const { browser, attemptId } = await t1.startedCandidate('C', email);
      await t1.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
        path: 'parse-model-json.mjs',
        content: solution,
      });
      expect((await t1.req(browser, 'POST', `/api/attempts/${attemptId}/submit`)).status).toBe(200);
      return attemptId;
    };
    const cut = await submitSolved('cut@example.com');
    const status = async (attemptId: string) =>
      (
        await t1.ctx.db
          .selectFrom('grades')
          .select('status')
          .where('attempt_id', '=', attemptId)
          .executeTakeFirst()
      )?.status;
    await vi.waitFor(async () => expect(await status(cut)).toBe('running'), { timeout: 10_000 });
    const never = await submitSolved('never@example.com');
    await vi.waitFor(async () => expect(await status(never)).toBeDefined(), { timeout: 10_000 });
    // As if the process died between the submit's commit and queueing the grading.
    await t1.ctx.db.deleteFrom('grades').where('attempt_id', '=', never).execute();

    // The crash: the worker stops taking jobs, the hung try is abandoned, the database is let go.
    t1.services.grading.stop();
    await t1.services.sandbox.close();
    await before.database.close();
    // Nobody renews the dead process's lease; once it has run out the grading is anyone's.
    clock.advance(JOB_LEASE.ms + 1);

    const after = await app(url, clock, {});
    const t2 = after.t;
    cleanup.push(() => t2.close());
    expect(await t2.services.grading.start()).toEqual({ requeued: 1, added: 1 });
    await t2.services.settle();
    const admin = await t2.staff('admin');
    const cutGrade = (await t2.req(admin, 'GET', `/api/attempts/${cut}/grade`)).json.grade;
    expect(cutGrade).toMatchObject({
      status: 'done',
      verdict: 'passed',
      failed: 0,
      tries: 2,
      reason: 'submit',
      lastError: 'the server stopped during this try',
    });
    expect((await t2.req(admin, 'GET', `/api/attempts/${never}/grade`)).json.grade).toMatchObject({
      status: 'done',
      verdict: 'passed',
      tries: 1,
    });
    // One grading each: resuming does not add rows.
    const rows = await t2.ctx.db.selectFrom('grades').select('attempt_id').execute();
    expect(rows.map((r) => r.attempt_id).sort()).toEqual([cut, never].sort());
  });

  it('takes over a grading whose worker stopped renewing its lease, and ignores the late finish of the first', async () => {
    const url = await databaseUrl();
    const clock = new FakeClock();
    const before = await app(url, clock, { hangCreates: true });
    const t1 = before.t;
    await t1.importExample();
    const solution = await readFile(path.join(exampleTaskDir, 'solution/parse-model-json.mjs'), 'utf8');
    const { browser, attemptId } = await t1.startedCandidate();
    await t1.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'parse-model-json.mjs',
      content: solution,
    });
    expect((await t1.req(browser, 'POST', `/api/attempts/${attemptId}/submit`)).status).toBe(200);
    const row = () =>
      t1.ctx.db
        .selectFrom('grades')
        .selectAll()
        .where('attempt_id', '=', attemptId)
        .executeTakeFirstOrThrow();
    await vi.waitFor(async () => expect((await row()).status).toBe('running'), { timeout: 10_000 });
    const first = await row();
    // The first replica hangs in its try, then stops renewing (it died); a second replica is up.
    t1.services.grading.stop();
    const after = await app(url, clock, {});
    const t2 = after.t;
    cleanup.push(() => t2.close());

    // Within the lease the grading is still the first worker's, however long it has run...
    clock.advance(JOB_LEASE.ms - 1000);
    expect(await t2.services.grading.takeOver()).toBe(0);
    // ...and a renewal (a live worker) extends it.
    expect(await renewLease(t1.ctx, first)).toBe(true);
    clock.advance(JOB_LEASE.ms - 1000);
    expect(await t2.services.grading.takeOver()).toBe(0);
    // Past the lease, the live replica takes it up and grades it.
    clock.advance(2000);
    expect(await t2.services.grading.takeOver()).toBe(1);
    await t2.services.settle();
    const admin = await t2.staff('admin');
    const graded = (await t2.req(admin, 'GET', `/api/attempts/${attemptId}/grade`)).json.grade;
    expect(graded).toMatchObject({ status: 'done', verdict: 'passed', tries: 2 });

    // The first worker wakes up and reports its (old) try: nothing changes, no second graded event.
    await finishDone(t1.ctx, first, {
      verdict: 'failed',
      passed: 0,
      failed: 3,
      skipped: 0,
      report_json: '{}',
      stdout: 'late',
      stderr: '',
      error: null,
    });
    expect(await renewLease(t1.ctx, first)).toBe(false);
    expect((await t2.req(admin, 'GET', `/api/attempts/${attemptId}/grade`)).json.grade).toMatchObject({
      status: 'done',
      verdict: 'passed',
      tries: 2,
    });
    const events = await t2.ctx.db
      .selectFrom('attempt_events')
      .select('type')
      .where('attempt_id', '=', attemptId)
      .where('type', '=', 'attempt.graded')
      .execute();
    expect(events).toHaveLength(1);
    expect(await requeueInterrupted(t2.ctx, t2.config.grading.maxTries, { everyRunning: false })).toBe(0);
  });

  it('fails a grading whose every try was cut off, instead of retrying it forever', async () => {
    const url = await databaseUrl();
    const clock = new FakeClock();
    const { t, database } = await app(url, clock, {});
    cleanup.push(() => t.close());
    await t.importExample();
    const { browser, attemptId } = await t.startedCandidate();
    await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.services.settle();
    // A grading left running on its last try (the server died during each of them).
    await database.db
      .updateTable('grades')
      .set({ status: 'running', tries: t.config.grading.maxTries, verdict: null })
      .where('attempt_id', '=', attemptId)
      .execute();
    expect(await t.services.grading.start()).toMatchObject({ requeued: 1 });
    const g = (await t.req(await t.staff('admin'), 'GET', `/api/attempts/${attemptId}/grade`)).json.grade;
    expect(g).toMatchObject({ status: 'failed', tries: 6 });
    expect(g.error).toBe('grading failed: the server stopped during each of 6 tries');
  });
});
