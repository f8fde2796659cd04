/**
 * Edit logs under attack through the HTTP API: the candidate controls every byte of a log, so a log
 * is kept only when it rebuilds the saved revision from one of this attempt's own contents, never for
 * another attempt's file, never past the attempt's edit-log bound (one "full" event, saves unharmed),
 * never after submit — and refused logs are not shown to reviewers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects, makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import { sha256Hex } from '../../blobs/index.ts';
import { MAX_EDITS } from '../../workspace/index.ts';

type Edit = [number, number, number, string];

/** The edits of typing `text` one character at a time at `offset`. */
const typing = (offset: number, text: string): Edit[] =>
  [...text].map((ch, i) => [i * 120, offset + i, 0, ch] as Edit);

describe.each(dialects())('edit logs (security, %s)', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp({ dialect, env: { MAX_ATTEMPT_EDIT_LOG_BYTES: '4096' } });
    await t.importExample();
  });
  afterEach(() => t.close());

  const url = (id: string) => `/api/attempts/${id}/edits`;

  async function save(b: Browser, id: string, path: string, content: string, baseRevision?: number) {
    const r = await t.req(b, 'PUT', `/api/attempts/${id}/file`, { path, content, baseRevision });
    expect(r.status, r.text).toBe(200);
    return r.json.file as { sha256: string; revision: number };
  }

  async function logsSeenByStaff(id: string) {
    const admin = await t.staff('admin');
    const r = await t.req(admin, 'GET', url(id));
    expect(r.status, r.text).toBe(200);
    return r.json.logs as { path: string; baseSha256: string; sha256: string; edits: Edit[] }[];
  }

  it('keeps a log that rebuilds the save from the starter file, and shows it to staff only', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const start = await t.req(browser, 'GET', `/api/attempts/${attemptId}/file?path=main.mjs`);
    const base = start.json.content as string;
    const next = `// hi\n${base}`;
    const saved = await save(browser, attemptId, 'main.mjs', next, start.json.revision);
    const log = {
      path: 'main.mjs',
      baseSha256: start.json.sha256,
      sha256: saved.sha256,
      edits: typing(0, '// hi\n'),
    };
    const r = await t.req(browser, 'POST', url(attemptId), log);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ stored: true });
    // A resend (a retried request) is not stored twice.
    expect((await t.req(browser, 'POST', url(attemptId), log)).json).toEqual({
      stored: false,
      reason: 'duplicate',
    });
    const logs = await logsSeenByStaff(attemptId);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ path: 'main.mjs', baseSha256: log.baseSha256, sha256: saved.sha256 });
    expect(logs[0]!.edits).toEqual(log.edits);
    // The candidate does not read the staff view.
    expectError(await t.req(browser, 'GET', url(attemptId)), 401, 'unauthenticated');
  });

  it('refuses a fabricated log that does not rebuild the saved content, and does not show it', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const a = await save(browser, attemptId, 'notes.md', 'hello', 0);
    const b = await save(browser, attemptId, 'notes.md', 'hello world', a.revision);
    const forged = [
      // Typing that leads somewhere else than the save.
      typing(5, ' wurld'),
      // The right final text, but "typed" from an offset outside the file.
      [[0, 999, 0, ' world']] as Edit[],
      // Deleting more than there is.
      [[0, 0, 50, 'hello world']] as Edit[],
    ];
    for (const edits of forged) {
      const r = await t.req(browser, 'POST', url(attemptId), {
        path: 'notes.md',
        baseSha256: a.sha256,
        sha256: b.sha256,
        edits,
      });
      expectError(r, 400, 'validation_failed', /edit log refused/);
    }
    // Claiming typing for a content that was never saved.
    const unsaved = await t.req(browser, 'POST', url(attemptId), {
      path: 'notes.md',
      baseSha256: a.sha256,
      sha256: sha256Hex('hello there'),
      edits: typing(5, ' there'),
    });
    expectError(unsaved, 404, 'not_found');
    // Times that run backwards, markup-carrying extra fields.
    for (const body of [
      {
        path: 'notes.md',
        baseSha256: a.sha256,
        sha256: b.sha256,
        edits: [
          [500, 5, 0, ' '],
          [100, 6, 0, 'world'],
        ],
      },
      { path: 'notes.md', baseSha256: a.sha256, sha256: b.sha256, edits: typing(5, ' world'), html: '<b>' },
      { path: 'notes.md', baseSha256: a.sha256, sha256: b.sha256, edits: [[0, 5, 0, ' world', 'x']] },
    ])
      expectError(await t.req(browser, 'POST', url(attemptId), body), 400, 'validation_failed');
    expect(await logsSeenByStaff(attemptId)).toEqual([]);
    // The honest log still goes in.
    const ok = await t.req(browser, 'POST', url(attemptId), {
      path: 'notes.md',
      baseSha256: a.sha256,
      sha256: b.sha256,
      edits: typing(5, ' world'),
    });
    expect(ok.json).toEqual({ stored: true });
  });

  it("refuses a log for another attempt's file or starting from another attempt's content", async () => {
    const mine = await t.startedCandidate('A', 'a@example.com');
    const other = await t.startedCandidate('B', 'b@example.com');
    const b1 = await save(other.browser, other.attemptId, 'secret.md', 'secret of B', 0);
    const b2 = await save(other.browser, other.attemptId, 'secret.md', 'secret of B!', b1.revision);
    const log = { path: 'secret.md', baseSha256: b1.sha256, sha256: b2.sha256, edits: typing(11, '!') };
    // Into B's attempt from A's session: B's attempt does not exist for A.
    expectError(await t.req(mine.browser, 'POST', url(other.attemptId), log), 404, 'not_found');
    // Into A's own attempt, naming B's revisions: A never saved them.
    expectError(await t.req(mine.browser, 'POST', url(mine.attemptId), log), 404, 'not_found');
    // A saved the same final text, but may not start from B's content (no oracle over other attempts).
    const a2 = await save(mine.browser, mine.attemptId, 'secret.md', 'secret of B!', 0);
    expectError(
      await t.req(mine.browser, 'POST', url(mine.attemptId), { ...log, sha256: a2.sha256 }),
      404,
      'not_found',
    );
    expect(await logsSeenByStaff(mine.attemptId)).toEqual([]);
    expect(await logsSeenByStaff(other.attemptId)).toEqual([]);
  });

  it('refuses oversize logs; past the edit-log bound drops them with one event, and saves go on', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    let prev = await save(browser, attemptId, 'big.md', '', 0);
    const tooMany = Array.from({ length: MAX_EDITS + 1 }, (_, i) => [i, i, 0, 'x'] as Edit);
    expectError(
      await t.req(browser, 'POST', url(attemptId), {
        path: 'big.md',
        baseSha256: prev.sha256,
        sha256: sha256Hex('x'.repeat(MAX_EDITS + 1)),
        edits: tooMany,
      }),
      400,
      'validation_failed',
    );
    expectError(
      await t.req(browser, 'POST', url(attemptId), {
        path: 'big.md',
        baseSha256: prev.sha256,
        sha256: prev.sha256,
        edits: [[0, 0, 0, 'x'.repeat(300 * 1024)]],
      }),
      400,
      'validation_failed',
    );
    // 4096 bytes of edit log per attempt (set above): incompressible typing fills it in a few saves.
    let text = '';
    const results: unknown[] = [];
    for (let i = 0; i < 8; i++) {
      const typed = sha256Hex(String(i)).repeat(8);
      const next = await save(browser, attemptId, 'big.md', text + typed, prev.revision);
      const r = await t.req(browser, 'POST', url(attemptId), {
        path: 'big.md',
        baseSha256: prev.sha256,
        sha256: next.sha256,
        edits: typing(text.length, typed),
      });
      expect(r.status, r.text).toBe(200);
      results.push(r.json);
      text += typed;
      prev = next;
    }
    expect(results).toContainEqual({ stored: true });
    expect(results.at(-1)).toEqual({ stored: false, reason: 'edit_log_full' });
    const kept = (await logsSeenByStaff(attemptId)).length;
    expect(kept).toBe(results.filter((r) => (r as { stored: boolean }).stored).length);
    const row = await t.ctx.db
      .selectFrom('attempts')
      .select(['edit_log_bytes', 'stored_bytes'])
      .where('id', '=', attemptId)
      .executeTakeFirstOrThrow();
    expect(row.edit_log_bytes).toBeLessThanOrEqual(4096);
    expect(row.stored_bytes).toBeGreaterThan(row.edit_log_bytes);
    const admin = await t.staff('admin');
    const events = (await t.req(admin, 'GET', `/api/attempts/${attemptId}/events`)).json.events as {
      type: string;
    }[];
    expect(events.filter((e) => e.type === 'workspace.edits_full')).toHaveLength(1);
    // The saves themselves were never refused; the file holds everything typed.
    const file = await t.req(browser, 'GET', `/api/attempts/${attemptId}/file?path=big.md`);
    expect(file.json.content).toBe(text);
  });

  it('refuses logs after submit, from staff and from nobody', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const a = await save(browser, attemptId, 'n.md', 'a', 0);
    const b = await save(browser, attemptId, 'n.md', 'ab', a.revision);
    const log = { path: 'n.md', baseSha256: a.sha256, sha256: b.sha256, edits: typing(1, 'b') };
    const admin = await t.staff('admin');
    expect((await t.req(admin, 'POST', url(attemptId), log)).status).toBe(403);
    expect((await t.req(undefined, 'POST', url(attemptId), log)).status).toBe(401);
    await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    expectError(await t.req(browser, 'POST', url(attemptId), log), 409, 'attempt_submitted');
    expect(await logsSeenByStaff(attemptId)).toEqual([]);
  });
});
