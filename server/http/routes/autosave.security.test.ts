/**
 * The one-statement autosave (server/workspace/autosave.ts, routes/autosave.ts) on SQLite and, when
 * TEST_DATABASE_URL is set, Postgres: it stores exactly what the files route would, refuses in its SQL
 * whatever the files route refuses (nothing stored), and such requests get the files route's answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dialects, makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError, workspaceState } from '../../testing/expect.ts';
import { hashSecret } from '../../auth/index.ts';
import { readFile, revisionContent, writeFile } from '../../workspace/index.ts';
import { submitAttempt } from '../../attempts/index.ts';
import { needs } from '../../../tests/helpers/require.ts';

const list = dialects();
needs('postgres', list.includes('postgres'), 'set TEST_DATABASE_URL to run the Postgres round');

describe.each(list)('one-statement autosave on %s', (dialect) => {
  let t: TestApp;
  afterEach(() => t?.close());

  async function setup(env: Record<string, string> = {}) {
    t = await makeTestApp({ dialect, env });
    await t.importExample();
    const c = await t.startedCandidate('Ann', 'ann@example.com');
    return { ...c, url: `/api/attempts/${c.attemptId}/file` };
  }

  /** Saves through HTTP as the editor does; the second save of a file leaves its base cached. */
  async function save(b: Browser, url: string, content: string, baseRevision?: number) {
    return t.req(b, 'PUT', url, { path: 'src/work.ts', content, baseRevision });
  }

  /** Creates src/work.ts (the files route) and saves it again (the shortcut, which then keeps its base). */
  async function warm(b: Browser, url: string) {
    for (const [content, base] of [
      ['v1\n', 0],
      ['v2\n', 1],
    ] as const) {
      const r = await save(b, url, content, base);
      expect(r.status, r.text).toBe(200);
    }
  }

  function direct(b: Browser, attemptId: string, content: string, baseRevision?: number) {
    return t.services.autosave.save({
      sessionHash: hashSecret(b.cookies.get('ws_candidate')!),
      csrfToken: b.csrf!,
      attemptId,
      path: 'src/work.ts',
      content: Buffer.from(content),
      baseRevision,
    });
  }

  it.each([
    ['', {}],
    [' (AUTOSAVE_SYNC_COMMIT=false)', { AUTOSAVE_SYNC_COMMIT: 'false' }],
  ])(
    'stores every save as the files route would: file, revision, event, replayable content%s',
    async (_, env) => {
      const { browser, attemptId, url } = await setup(env);
      const contents = ['line 1\n', 'line 1\nline 2\n', 'line 0\nline 1\nline 2\n', 'line 0\n'];
      let revision = 0;
      for (const content of contents) {
        const r = await save(browser, url, content, revision);
        expect(r.status, r.text).toBe(200);
        expect(Object.keys(r.json)).toEqual(['file', 'changed']);
        expect(r.json.changed).toBe(true);
        expect(r.json.file).toMatchObject({
          path: 'src/work.ts',
          size: content.length,
          revision: revision + 1,
        });
        revision = r.json.file.revision;
      }
      // After the first save (a new file: the files route), the shortcut answered with the base it keeps.
      expect(t.services.autosave.bases.size).toBe(1);
      const file = await readFile(t.ctx, attemptId, 'src/work.ts');
      expect(file.content.toString()).toBe('line 0\n');
      expect(file.revision).toBe(4);
      const s = await workspaceState(t, attemptId);
      const written = s.events.filter((e) => e.type === 'file.written' && e.path === 'src/work.ts');
      expect(written.map((e) => e.revision)).toEqual([1, 2, 3, 4]);
      for (const [i, e] of written.entries())
        expect((await revisionContent(t.ctx.db, attemptId, e.sha256!))?.toString()).toBe(contents[i]);
      // Identical content: the files route answers "unchanged" and stores nothing more.
      const same = await save(browser, url, 'line 0\n', 4);
      expect(same.json).toMatchObject({ changed: false, file: { revision: 4 } });
    },
  );

  it('refuses in its statement a wrong session, a wrong CSRF token, another candidate, an expired session', async () => {
    const { browser, attemptId, url } = await setup();
    await warm(browser, url);
    const before = await workspaceState(t, attemptId);
    const mallory = await t.startedCandidate('Mallory', 'mallory@example.com');

    expect(
      await direct({ cookies: new Map([['ws_candidate', 'forged']]), csrf: browser.csrf }, attemptId, 'x', 2),
    ).toBe(undefined);
    expect(await direct({ ...browser, csrf: mallory.browser.csrf }, attemptId, 'x', 2)).toBe(undefined);
    expect(await direct(mallory.browser, attemptId, 'x', 2)).toBe(undefined);
    // Through HTTP these get the files route's answers.
    expectError(
      await t.req(mallory.browser, 'PUT', url, { path: 'src/work.ts', content: 'x' }),
      404,
      'not_found',
    );
    expectError(
      await t.req({ ...browser, csrf: 'wrong' }, 'PUT', url, {
        path: 'src/work.ts',
        content: 'x',
        baseRevision: 2,
      }),
      403,
      'csrf_failed',
    );
    await t.ctx.db
      .updateTable('sessions')
      .set({ expires_at: t.clock.now() })
      .where('id_hash', '=', hashSecret(browser.cookies.get('ws_candidate')!))
      .execute();
    expect(await direct(browser, attemptId, 'x', 2)).toBe(undefined);
    expectError(await save(browser, url, 'x', 2), 401, 'unauthenticated');
    expect(await workspaceState(t, attemptId)).toEqual(before);
  });

  it('refuses a submitted attempt and one past its deadline + grace', async () => {
    const { browser, attemptId, url, attempt } = await setup();
    const other = await t.startedCandidate('Bo', 'bo@example.com');
    const otherUrl = `/api/attempts/${other.attemptId}/file`;
    for (const [b, u] of [
      [browser, url],
      [other.browser, otherUrl],
    ] as const)
      await warm(b, u);
    await submitAttempt(t.ctx, other.attemptId, 'candidate');
    const submitted = await workspaceState(t, other.attemptId);
    expect(await direct(other.browser, other.attemptId, 'after\n', 2)).toBe(undefined);
    expectError(await save(other.browser, otherUrl, 'after\n', 2), 409, 'attempt_submitted');
    expect(await workspaceState(t, other.attemptId)).toEqual(submitted);

    t.clock.set(attempt.deadlineAt + t.config.submitGraceMs + 1);
    const before = await workspaceState(t, attemptId);
    expect(await direct(browser, attemptId, 'late\n', 2)).toBe(undefined);
    expect(await workspaceState(t, attemptId)).toEqual(before);
    // The files route refuses it too (and submits the overdue attempt).
    expectError(await save(browser, url, 'late\n', 2), 409, 'deadline_passed');
  });

  it('refuses a save whose base is stale (the file changed elsewhere), then the files route answers 409', async () => {
    const { browser, attemptId, url } = await setup();
    await warm(browser, url);
    const attempt = await t.ctx.db
      .selectFrom('attempts')
      .selectAll()
      .where('id', '=', attemptId)
      .executeTakeFirstOrThrow();
    // Another tab (or another server process) saved revision 3: this process's base is revision 2.
    await writeFile(t.ctx, attempt, {
      path: 'src/work.ts',
      content: Buffer.from('other tab\n'),
      baseRevision: 2,
    });
    const before = await workspaceState(t, attemptId);
    expect(await direct(browser, attemptId, 'mine\n')).toBe(undefined);
    expect(await workspaceState(t, attemptId)).toEqual(before);
    expectError(await save(browser, url, 'mine\n', 2), 409, 'stale_revision');
    // Saving from the current revision works again (the base is read afresh).
    expect((await save(browser, url, 'merged\n', 3)).json.file.revision).toBe(4);
    expect((await save(browser, url, 'merged 2\n', 4)).json.file.revision).toBe(5);
    expect((await readFile(t.ctx, attemptId, 'src/work.ts')).content.toString()).toBe('merged 2\n');
  });

  it('refuses a save over the attempt storage bound or the workspace bound; the files route answers 413', async () => {
    const { browser, attemptId, url } = await setup({
      MAX_ATTEMPT_STORAGE_BYTES: '20000',
      MAX_WORKSPACE_BYTES: '100000',
    });
    await warm(browser, url);
    const before = await workspaceState(t, attemptId);
    // Incompressible: its revision is a snapshot larger than the storage left.
    const noise = Buffer.from(Array.from({ length: 30000 }, () => Math.floor(Math.random() * 256))).toString(
      'base64',
    );
    expect(await direct(browser, attemptId, noise, 2)).toBe(undefined);
    const tooBig = 'a'.repeat(120000); // deflates to little: only the workspace bound refuses it
    expect(await direct(browser, attemptId, tooBig, 2)).toBe(undefined);
    expect(await workspaceState(t, attemptId)).toEqual(before);
    expectError(await save(browser, url, noise, 2), 413, 'payload_too_large', /storage/);
    expectError(await save(browser, url, tooBig, 2), 413, 'payload_too_large', /workspace/);
    expect(await workspaceState(t, attemptId)).toEqual(before);
  });
});
