/**
 * Compact revisions on SQLite always and on Postgres when TEST_DATABASE_URL is set: every moment of a
 * long autosave session replays exactly through the staff replay route, storage stays small, and a
 * database written before 0008_compact_revisions still replays and keeps saving after migrating.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { dialects, freshDatabaseUrl, makeTestApp, testConfig, type TestApp } from '../testing/index.ts';
import { FakeClock, randomIds } from '../platform/index.ts';
import { silentLogger } from '../logger/index.ts';
import { migrationProvider } from '../db/migrations.ts';
import { openDatabase } from '../db/index.ts';
import { sha256Hex } from '../blobs/index.ts';
import { SNAPSHOT_EVERY } from './delta.ts';
import { fileContent, readFile, revisionContent, writeFile } from './index.ts';
import { needs } from '../../tests/helpers/require.ts';
import { expectError, workspaceState } from '../testing/expect.ts';

const list = dialects();
needs('postgres', list.includes('postgres'), 'set TEST_DATABASE_URL=postgres://user:pass@127.0.0.1:5432/db');

describe.each(list)('compact revisions on %s', (dialect) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('replays every saved moment exactly, across snapshots, and stores a fraction of the bytes', async () => {
    t = await makeTestApp({ dialect });
    await t.importExample();
    const { browser, attemptId } = await t.startedCandidate();
    const author = await t.staff('author');
    let content = Array.from({ length: 400 }, (_, i) => `line ${i}: const value${i} = compute(${i});`).join(
      '\n',
    );
    const written: string[] = [];
    let revision = 0;
    for (let i = 0; i < 2 * SNAPSHOT_EVERY + 10; i++) {
      const at = (i * 7919) % content.length;
      content = `${content.slice(0, at)}${String.fromCharCode(97 + (i % 26))}${content.slice(at + (i % 3))}`;
      if (i === 70) content = `rewritten by a paste\n${content.slice(content.length / 2)}`;
      const r = await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
        path: 'src/work.ts',
        content,
        baseRevision: revision,
      });
      expect(r.status, r.text).toBe(200);
      revision = r.json.file.revision;
      written.push(content);
      t.clock.advance(2000);
    }
    // The staff replay reads each content the timeline names.
    const events = await t.req(author, 'GET', `/api/attempts/${attemptId}/events`);
    const shas = (events.json.events as Array<{ type: string; path: string; sha256: string }>)
      .filter((e) => e.type === 'file.written' && e.path === 'src/work.ts')
      .map((e) => e.sha256);
    expect(shas).toEqual(written.map((w) => sha256Hex(w)));
    for (const [i, sha] of shas.entries()) {
      const r = await t.req(author, 'GET', `/api/attempts/${attemptId}/revisions/${sha}`);
      expect(r.json.content, `revision ${i}`).toBe(written[i]);
    }
    const rows = await t.ctx.db
      .selectFrom('file_revisions')
      .select(['depth', 'data'])
      .where('attempt_id', '=', attemptId)
      .execute();
    expect(rows.filter((r) => r.depth === 0).length).toBeGreaterThanOrEqual(3);
    const stored = rows.reduce((n, r) => n + r.data.byteLength, 0);
    const plain = written.reduce((n, w) => n + Buffer.byteLength(w), 0);
    expect(stored).toBeLessThan(plain / 20);
    const attempt = await t.ctx.db
      .selectFrom('attempts')
      .select('stored_bytes')
      .where('id', '=', attemptId)
      .executeTakeFirstOrThrow();
    expect(attempt.stored_bytes).toBe(stored);
    // What a Run or grading sends to the sandbox is the latest save.
    const file = await readFile(t.ctx, attemptId, 'src/work.ts');
    expect((await fileContent(t.ctx, attemptId, file.sha256))?.toString()).toBe(content);
  });

  it('refuses a save past MAX_ATTEMPT_STORAGE_BYTES with a message for the candidate, and keeps everything saved before', async () => {
    t = await makeTestApp({ dialect, env: { MAX_ATTEMPT_STORAGE_BYTES: '3000' } });
    await t.importExample();
    const { browser, attemptId } = await t.startedCandidate();
    const put = (path: string, content: string, baseRevision?: number) =>
      t!.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, { path, content, baseRevision });
    // Incompressible text, so each new content costs about its size.
    const noise = (n: number) => randomBytes(n).toString('base64').slice(0, n);
    let fill = 0;
    let saved = '';
    for (let i = 0; ; i++) {
      const content = Array.from({ length: 10 }, (_, j) => noise(90)).join('\n');
      const r = await put(`notes/${i}.txt`, content);
      if (r.status !== 200) {
        expectError(r, 413, 'payload_too_large', /storage it is allowed.*not saved.*kept in this browser/s);
        expect(r.json.error.message).toMatch(/3000 bytes/);
        break;
      }
      fill = i;
      saved = content;
      expect(i).toBeLessThan(10);
    }
    const before = await workspaceState(t, attemptId);
    // Nothing earlier is lost, the refused save left nothing, and saving a content the attempt
    // already stored costs nothing, so it still works.
    expect((await readFile(t.ctx, attemptId, `notes/${fill}.txt`)).content.toString()).toBe(saved);
    expectError(await put('notes/again.txt', noise(2000)), 413, 'payload_too_large');
    expect(await workspaceState(t, attemptId)).toEqual(before);
    expect((await put('notes/copy.txt', saved)).status).toBe(200);
  });

  it('refuses stale and late saves without storing anything', async () => {
    t = await makeTestApp({ dialect });
    await t.importExample();
    const { browser, attemptId } = await t.startedCandidate();
    const put = (content: string, baseRevision?: number) =>
      t!.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, { path: 'a.md', content, baseRevision });
    expect((await put('one', 0)).json.file.revision).toBe(1);
    expect((await put('two', 1)).json.file.revision).toBe(2);
    const before = await workspaceState(t, attemptId);
    expectError(await put('from another tab', 1), 409, 'stale_revision');
    expect(await workspaceState(t, attemptId)).toEqual(before);
    expect((await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`)).status).toBe(200);
    const submitted = await workspaceState(t, attemptId);
    expectError(await put('after submit', 2), 409, 'attempt_submitted');
    expect(await workspaceState(t, attemptId)).toEqual(submitted);
  });

  it('still replays a database written before 0008_compact_revisions, and saves on top of it', async () => {
    const fresh = await freshDatabaseUrl(dialect);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ws-mig-'));
    const url = dialect === 'sqlite' ? `sqlite:${dir}/old.db` : fresh.url;
    try {
      const old = new Kysely<any>({
        dialect:
          dialect === 'sqlite'
            ? new SqliteDialect({ database: new SQLite(url.slice('sqlite:'.length)) })
            : new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
      });
      const migrator = new Migrator({ db: old, provider: migrationProvider(dialect) });
      const before = await migrator.migrateTo('0006_invitation_purpose');
      expect(before.error).toBeUndefined();
      // What the earlier writeFile stored: a full blob per revision, events naming them.
      const v1 = Buffer.from('first draft\n');
      const v2 = Buffer.from('second draft\n');
      await old.insertInto('tasks').values({ id: 'tsk_1', slug: 't', created_at: 1 }).execute();
      await old
        .insertInto('task_versions')
        .values({
          id: 'tv_1',
          task_id: 'tsk_1',
          slug: 't',
          version: 1,
          content_hash: 'h',
          title: 'T',
          kind: 'written',
          manifest_json: '{}',
          statement_md: '',
          created_at: 1,
        })
        .execute();
      await old
        .insertInto('invitations')
        .values({
          id: 'inv_1',
          token_hash: 'x',
          task_version_id: 'tv_1',
          candidate_name: 'C',
          candidate_email: 'c@example.com',
          created_at: 1,
          expires_at: 9e12,
        })
        .execute();
      await old
        .insertInto('attempts')
        .values({
          id: 'att_1',
          invitation_id: 'inv_1',
          task_version_id: 'tv_1',
          status: 'started',
          started_at: 1,
          deadline_at: 9e12,
        })
        .execute();
      for (const [i, c] of [v1, v2].entries()) {
        await old
          .insertInto('blobs')
          .values({ sha256: sha256Hex(c), size: c.byteLength, content: c, created_at: i })
          .execute();
        await old
          .insertInto('attempt_events')
          .values({
            attempt_id: 'att_1',
            at: i,
            type: 'file.written',
            path: 'answer.md',
            sha256: sha256Hex(c),
            revision: i + 1,
            payload_json: '{}',
          })
          .execute();
      }
      await old
        .insertInto('workspace_files')
        .values({
          attempt_id: 'att_1',
          path: 'answer.md',
          sha256: sha256Hex(v2),
          size: v2.byteLength,
          revision: 2,
          updated_at: 1,
        })
        .execute();
      await old.destroy();

      const database = await openDatabase(url); // migrates to the latest
      try {
        expect((await revisionContent(database.db, 'att_1', sha256Hex(v1)))?.toString()).toBe(
          'first draft\n',
        );
        expect((await revisionContent(database.db, 'att_1', sha256Hex(v2)))?.toString()).toBe(
          'second draft\n',
        );
        const ctx = {
          db: database.db,
          clock: new FakeClock(),
          ids: randomIds,
          config: testConfig(),
          logger: silentLogger,
        };
        expect((await readFile(ctx, 'att_1', 'answer.md')).content.toString()).toBe('second draft\n');
        const row = await database.db
          .selectFrom('attempts')
          .selectAll()
          .where('id', '=', 'att_1')
          .executeTakeFirstOrThrow();
        expect(row.stored_bytes).toBe(0);
        const v3 = Buffer.from('second draft, revised\n');
        expect(await writeFile(ctx, row, { path: 'answer.md', content: v3, baseRevision: 2 })).toMatchObject({
          revision: 3,
          changed: true,
        });
        expect((await revisionContent(database.db, 'att_1', sha256Hex(v3)))?.toString()).toBe(v3.toString());
        expect((await revisionContent(database.db, 'att_1', sha256Hex(v1)))?.toString()).toBe(
          'first draft\n',
        );
      } finally {
        await database.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await fresh.drop();
    }
  });
});
