/**
 * The storage suite: the same service verbs against SQLite always, and against Postgres whenever
 * TEST_DATABASE_URL is set (CI sets it), so both dialects stay in step.
 */
import { cp, mkdtemp, rm, writeFile as writeFs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects, exampleTaskDir, makeTestApp, type TestApp } from '../testing/index.ts';
import { importTask } from '../tasks/import.ts';
import { startAttempt, submitAttempt, sweepDeadlines } from '../attempts/index.ts';
import { listEvents, listFiles, readFile, writeFile } from '../workspace/index.ts';
import { createInvitation } from '../invitations/index.ts';
import { needs } from '../../tests/helpers/require.ts';

const list = dialects();
needs(
  'postgres',
  list.includes('postgres'),
  'set TEST_DATABASE_URL=postgres://user:pass@127.0.0.1:5432/db (.ci/run does)',
);

describe.each(list)('storage on %s', (dialect) => {
  let t: TestApp;
  let taskDir: string;
  beforeEach(async () => {
    t = await makeTestApp({ dialect });
    taskDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'ws-task-')), 'hello-llm');
    await cp(exampleTaskDir, taskDir, { recursive: true });
  });
  afterEach(async () => {
    await t.close();
    await rm(path.dirname(taskDir), { recursive: true, force: true });
  });

  async function newAttempt() {
    const { invitation } = await createInvitation(
      t.ctx,
      { taskSlug: 'hello-llm', candidateName: 'C', candidateEmail: 'c@example.com' },
      null,
    );
    return startAttempt(t.ctx, invitation.id);
  }

  it('imports a task as version 1, treats a re-import of the same content as unchanged, and an edit as version 2', async () => {
    const first = await importTask(t.ctx, taskDir);
    expect(first).toMatchObject({ status: 'created', version: { slug: 'hello-llm', version: 1 } });
    const again = await importTask(t.ctx, taskDir);
    expect(again).toMatchObject({ status: 'unchanged', version: { id: first.version.id, version: 1 } });
    await writeFs(path.join(taskDir, 'statement.md'), '# Changed statement\n');
    const second = await importTask(t.ctx, taskDir);
    expect(second).toMatchObject({ status: 'created', version: { version: 2 } });
    expect(second.version.contentHash).not.toBe(first.version.contentHash);
  });

  it('pins the task version an attempt started on; re-importing never changes it', async () => {
    const v1 = await importTask(t.ctx, taskDir);
    const attempt = await newAttempt();
    await writeFs(path.join(taskDir, 'starter', 'parse-model-json.mjs'), 'export const changed = true;\n');
    const v2 = await importTask(t.ctx, taskDir);
    expect(v2.version.version).toBe(2);
    const stored = await t.ctx.db
      .selectFrom('attempts')
      .selectAll()
      .where('id', '=', attempt.id)
      .executeTakeFirstOrThrow();
    expect(stored.task_version_id).toBe(v1.version.id);
    const file = await readFile(t.ctx, attempt.id, 'parse-model-json.mjs');
    expect(file.content.toString()).not.toContain('changed = true');
    // A new invitation now pins version 2 and starts from the edited starter.
    const fresh = await newAttempt();
    expect(fresh.task_version_id).toBe(v2.version.id);
    expect((await readFile(t.ctx, fresh.id, 'parse-model-json.mjs')).content.toString()).toContain(
      'changed = true',
    );
  });

  it('stores each distinct content of an attempt once: saving an earlier content again costs nothing', async () => {
    await importTask(t.ctx, taskDir);
    const a = await newAttempt();
    const b = await newAttempt();
    const revisions = async (attemptId: string) =>
      Number(
        (
          await t.ctx.db
            .selectFrom('file_revisions')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('attempt_id', '=', attemptId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const stored = async (attemptId: string) =>
      (
        await t.ctx.db
          .selectFrom('attempts')
          .select('stored_bytes')
          .where('id', '=', attemptId)
          .executeTakeFirstOrThrow()
      ).stored_bytes;
    const content = Buffer.from('the same text in two workspaces\n');
    await writeFile(t.ctx, a, { path: 'x.txt', content });
    await writeFile(t.ctx, b, { path: 'y.txt', content });
    await writeFile(t.ctx, a, { path: 'x.txt', content: Buffer.from('v2') });
    const charged = await stored(a.id);
    await writeFile(t.ctx, a, { path: 'x.txt', content });
    expect([await revisions(a.id), await revisions(b.id)]).toEqual([2, 1]);
    expect(await stored(a.id)).toBe(charged);
    expect((await readFile(t.ctx, a.id, 'x.txt')).content.toString()).toBe(content.toString());
  });

  it('records a revision and an event for every change, and none for an identical save', async () => {
    await importTask(t.ctx, taskDir);
    const a = await newAttempt();
    const w1 = await writeFile(t.ctx, a, { path: 'src/a.ts', content: Buffer.from('1') });
    const w2 = await writeFile(t.ctx, a, {
      path: 'src/a.ts',
      content: Buffer.from('2'),
      baseRevision: w1.revision,
    });
    const w3 = await writeFile(t.ctx, a, {
      path: 'src/a.ts',
      content: Buffer.from('2'),
      baseRevision: w2.revision,
    });
    expect([w1.revision, w2.revision, w3.revision, w3.changed]).toEqual([1, 2, 2, false]);
    const events = await listEvents(t.ctx, a.id);
    expect(events.map((e) => e.type)).toEqual(['attempt.started', 'file.written', 'file.written']);
    expect((await listFiles(t.ctx, a.id)).find((f) => f.path === 'src/a.ts')?.revision).toBe(2);
  });

  it('auto-submits attempts whose deadline passed (as after a restart) and stamps the deadline', async () => {
    await importTask(t.ctx, taskDir);
    const overdue = await newAttempt();
    t.clock.advance(10 * 60_000);
    const onTime = await newAttempt();
    t.clock.set(overdue.deadline_at + t.config.submitGraceMs + 1);
    expect(await sweepDeadlines(t.ctx)).toBe(1);
    const rows = await t.ctx.db.selectFrom('attempts').selectAll().orderBy('started_at').execute();
    expect(rows[0]).toMatchObject({
      id: overdue.id,
      status: 'submitted',
      submit_reason: 'deadline',
      submitted_at: overdue.deadline_at,
    });
    expect(rows[1]).toMatchObject({ id: onTime.id, status: 'started' });
    expect(await sweepDeadlines(t.ctx)).toBe(0);
    // Submitting again is a no-op that returns the stored attempt.
    expect((await submitAttempt(t.ctx, overdue.id, 'candidate')).submit_reason).toBe('deadline');
  });
});
