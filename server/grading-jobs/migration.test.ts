/**
 * Migration 0007_grading_jobs on a database that has gradings in the old one-row-per-attempt shape:
 * done ones are kept as they were, pending and cut-off ones are queued again (the worker grades them),
 * and an old `error` becomes `failed` with its reason instead of an error nobody is told about.
 * SQLite always; Postgres when TEST_DATABASE_URL is set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dialects, migrationDb } from '../testing/index.ts';

describe.each(dialects())('migration 0007_grading_jobs on %s', (dialect) => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it('turns old grades into grading jobs', async () => {
    const { db, migrator, close } = await migrationDb(dialect);
    cleanup.push(close);
    expect((await migrator.migrateTo('0006_invitation_purpose')).error).toBeUndefined();

    await db.insertInto('tasks').values({ id: 't', slug: 't', created_at: 1 }).execute();
    await db
      .insertInto('task_versions')
      .values({
        id: 'v',
        task_id: 't',
        slug: 't',
        version: 1,
        content_hash: 'h',
        title: 'T',
        kind: 'code',
        manifest_json: '{}',
        statement_md: '',
        created_at: 1,
      })
      .execute();
    const old = [
      { id: 'done', status: 'done', verdict: 'passed', passed: 4, error: null, finished_at: 20 },
      {
        id: 'pending',
        status: 'pending',
        verdict: null,
        passed: 0,
        error: 'not graded yet: no engine',
        finished_at: null,
      },
      { id: 'running', status: 'running', verdict: null, passed: 0, error: null, finished_at: null },
      { id: 'error', status: 'error', verdict: 'error', passed: 0, error: 'no such image', finished_at: 30 },
    ];
    for (const g of old) {
      await db
        .insertInto('invitations')
        .values({
          id: `i-${g.id}`,
          token_hash: g.id,
          task_version_id: 'v',
          candidate_name: 'C',
          candidate_email: 'c@example.com',
          created_at: 1,
          expires_at: 2,
        })
        .execute();
      await db
        .insertInto('attempts')
        .values({
          id: g.id,
          invitation_id: `i-${g.id}`,
          task_version_id: 'v',
          status: 'submitted',
          started_at: 1,
          deadline_at: 5,
          submitted_at: 10,
          submit_reason: 'candidate',
        })
        .execute();
      await db
        .insertInto('grades')
        .values({
          attempt_id: g.id,
          status: g.status,
          verdict: g.verdict,
          passed: g.passed,
          failed: 0,
          skipped: 0,
          report_json: '[]',
          stdout: 'out',
          stderr: '',
          error: g.error,
          created_at: 10,
          finished_at: g.finished_at,
        })
        .execute();
    }

    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const rows = await db
      .selectFrom('grades')
      .select([
        'attempt_id',
        'status',
        'reason',
        'tries',
        'verdict',
        'passed',
        'error',
        'last_error',
        'next_run_at',
        'finished_at',
        'superseded_at',
        'stdout',
      ])
      .orderBy('attempt_id')
      .execute();
    const by = Object.fromEntries(rows.map((r) => [r.attempt_id, r]));
    expect(by.done).toMatchObject({
      status: 'done',
      verdict: 'passed',
      passed: 4,
      tries: 1,
      error: null,
      finished_at: 20,
      stdout: 'out',
    });
    expect(by.pending).toMatchObject({
      status: 'queued',
      tries: 0,
      last_error: 'not graded yet: no engine',
      error: null,
      verdict: null,
    });
    expect(by.running).toMatchObject({ status: 'queued', tries: 1, verdict: null, finished_at: null });
    expect(by.error).toMatchObject({
      status: 'failed',
      verdict: null,
      error: 'grading failed: no such image',
      last_error: 'no such image',
      finished_at: 30,
    });
    for (const r of rows) expect(r).toMatchObject({ reason: 'submit', superseded_at: null, next_run_at: 10 });
    // One current grading per attempt, enforced by the database.
    await expect(
      db
        .insertInto('grades')
        .values({
          id: 'dup',
          attempt_id: 'done',
          status: 'queued',
          reason: 'regrade',
          next_run_at: 1,
          created_at: 1,
        })
        .execute(),
    ).rejects.toThrow(/unique/i);
  });
});
