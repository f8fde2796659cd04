/**
 * Migration 0018_assessments on a database with attempts and everything that references them: the
 * one-attempt-per-invitation rule gives way to one per (invitation, position), rows and references
 * are kept, and existing attempts are position 0. SQLite always; Postgres when TEST_DATABASE_URL is set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dialects, migrationDb } from '../testing/index.ts';

describe.each(dialects())('migration 0018_assessments on %s', (dialect) => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it('keeps attempts and their references, and allows one attempt per position', async () => {
    const { db, migrator, close } = await migrationDb(dialect);
    cleanup.push(close);
    expect((await migrator.migrateTo('0017_greenhouse')).error).toBeUndefined();

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
    const inv = {
      task_version_id: 'v',
      candidate_name: 'C',
      candidate_email: 'c@x.io',
      created_at: 1,
      expires_at: 9,
    };
    await db
      .insertInto('invitations')
      .values({ id: 'i1', token_hash: 'h1', ...inv })
      .execute();
    const att = {
      task_version_id: 'v',
      status: 'submitted',
      started_at: 2,
      deadline_at: 5,
      submitted_at: 3,
      submit_reason: 'candidate',
      stored_bytes: 7,
    };
    await db
      .insertInto('attempts')
      .values({ id: 'a1', invitation_id: 'i1', ...att })
      .execute();
    await db
      .insertInto('attempt_events')
      .values({ attempt_id: 'a1', at: 2, type: 'attempt.started', payload_json: '{}' })
      .execute();
    // Before: a second attempt on the invitation is refused.
    await expect(
      db
        .insertInto('attempts')
        .values({ id: 'a2', invitation_id: 'i1', ...att })
        .execute(),
    ).rejects.toThrow();

    const { error } = await migrator.migrateTo('0018_assessments');
    expect(error).toBeUndefined();

    expect(await db.selectFrom('attempts').selectAll().execute()).toEqual([
      { id: 'a1', invitation_id: 'i1', ...att, position: 0 },
    ]);
    // After: one per position; the same position twice is refused, and references still hold.
    await db
      .insertInto('attempts')
      .values({ id: 'a2', invitation_id: 'i1', ...att, position: 1 })
      .execute();
    await expect(
      db
        .insertInto('attempts')
        .values({ id: 'a3', invitation_id: 'i1', ...att, position: 1 })
        .execute(),
    ).rejects.toThrow();
    await expect(
      db
        .insertInto('attempt_events')
        .values({ attempt_id: 'nope', at: 2, type: 'x', payload_json: '{}' })
        .execute(),
    ).rejects.toThrow();
    await db
      .insertInto('attempt_events')
      .values({ attempt_id: 'a2', at: 2, type: 'x', payload_json: '{}' })
      .execute();
    await expect(db.deleteFrom('attempts').where('id', '=', 'a1').execute()).rejects.toThrow();
  });
});
