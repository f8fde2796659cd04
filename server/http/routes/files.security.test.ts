import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError, workspaceState } from '../../testing/expect.ts';

/** Every attempt route, as [method, url, body]. */
const attemptRoutes = (id: string): Array<[string, string, unknown?]> => [
  ['GET', `/api/attempts/${id}`],
  ['GET', `/api/attempts/${id}/files`],
  ['GET', `/api/attempts/${id}/file?path=secret.md`],
  ['GET', `/api/attempts/${id}/events`],
  ['PUT', `/api/attempts/${id}/file`, { path: 'secret.md', content: 'overwritten' }],
  ['PUT', `/api/attempts/${id}/file`, { path: 'planted.md', content: 'planted' }],
  ['POST', `/api/attempts/${id}/file/rename`, { from: 'secret.md', to: 'moved.md' }],
  ['DELETE', `/api/attempts/${id}/file?path=secret.md`],
  ['POST', `/api/attempts/${id}/submit`],
];

describe('attempt and file access (security)', () => {
  let t: TestApp;
  let victim: { browser: Browser; attemptId: string };
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
    victim = await t.startedCandidate('Bob', 'bob@example.com');
    await t.req(victim.browser, 'PUT', `/api/attempts/${victim.attemptId}/file`, {
      path: 'secret.md',
      content: 'my answer',
    });
  });
  afterEach(() => t.close());

  it("answers another candidate 404 on every route of someone else's attempt, and nothing changes", async () => {
    const mallory = await t.startedCandidate('Mallory', 'mallory@example.com');
    const before = await workspaceState(t, victim.attemptId);
    const own = await workspaceState(t, mallory.attemptId);
    for (const [method, url, body] of attemptRoutes(victim.attemptId)) {
      const r = await t.req(mallory.browser, method, url, body);
      expectError(r, 404, 'not_found');
      // Same answer as for an attempt that does not exist: no existence oracle.
      expect(r.json.error.message).toBe('attempt not found');
    }
    expect(await workspaceState(t, victim.attemptId)).toEqual(before);
    expect(await workspaceState(t, mallory.attemptId)).toEqual(own);
  });

  it('answers a candidate who has not started 404 on a started attempt', async () => {
    const { token } = await t.invite('Nosy', 'nosy@example.com');
    const nosy = await t.candidate(token);
    const before = await workspaceState(t, victim.attemptId);
    for (const [method, url, body] of attemptRoutes(victim.attemptId))
      expectError(await t.req(nosy, method, url, body), 404, 'not_found');
    expect(await workspaceState(t, victim.attemptId)).toEqual(before);
  });

  it('answers 404 for an attempt id that does not exist', async () => {
    for (const [method, url, body] of attemptRoutes('att_doesnotexist'))
      expectError(await t.req(victim.browser, method, url, body), 404, 'not_found');
  });

  it('answers an unassigned reviewer 404 on every attempt route, like a missing attempt, and nothing changes', async () => {
    const reviewer = await t.staff('reviewer');
    const before = await workspaceState(t, victim.attemptId);
    for (const [method, url, body] of attemptRoutes(victim.attemptId)) {
      const r = await t.req(reviewer, method, url, body);
      expectError(r, 404, 'not_found');
      // The same answer as for an attempt that does not exist: no existence oracle.
      const missing = await t.req(reviewer, method, url.replace(victim.attemptId, 'att_doesnotexist'), body);
      expect({ status: r.status, error: r.json.error.message }).toEqual({
        status: missing.status,
        error: missing.json.error.message,
      });
    }
    expect(await workspaceState(t, victim.attemptId)).toEqual(before);
  });

  it.each(['author', 'admin'] as const)(
    'lets an %s read but not write, rename, delete or submit (403), and nothing changes',
    async (role) => {
      const staff = await t.staff(role);
      const before = await workspaceState(t, victim.attemptId);
      for (const [method, url, body] of attemptRoutes(victim.attemptId)) {
        const r = await t.req(staff, method, url, body);
        if (method === 'GET') expect(r.status).toBe(200);
        else {
          expectError(r, 403, 'forbidden');
          expect(r.json.error.message).toMatch(/only the candidate/);
        }
      }
      expect(await workspaceState(t, victim.attemptId)).toEqual(before);
      expect(before.attempt.status).toBe('started');
    },
  );

  it('answers an anonymous caller 401 on every attempt route, and nothing changes', async () => {
    const before = await workspaceState(t, victim.attemptId);
    for (const [method, url, body] of attemptRoutes(victim.attemptId))
      expectError(await t.req({ cookies: new Map() }, method, url, body), 401, 'unauthenticated');
    expect(await workspaceState(t, victim.attemptId)).toEqual(before);
  });

  it("refuses the owner's own mutations without the CSRF token (403 csrf_failed), and nothing changes", async () => {
    const { browser, attemptId } = victim;
    const before = await workspaceState(t, attemptId);
    for (const [method, url, body] of attemptRoutes(attemptId).filter(([m]) => m !== 'GET')) {
      expectError(await t.req({ cookies: browser.cookies }, method, url, body), 403, 'csrf_failed');
      expectError(await t.req(browser, method, url, body, { 'x-csrf-token': 'forged' }), 403, 'csrf_failed');
    }
    expect(await workspaceState(t, attemptId)).toEqual(before);
  });

  it("does not accept another candidate's CSRF token", async () => {
    const mallory = await t.startedCandidate('Mallory', 'mallory@example.com');
    const before = await workspaceState(t, victim.attemptId);
    const r = await t.req(
      victim.browser,
      'PUT',
      `/api/attempts/${victim.attemptId}/file`,
      { path: 'secret.md', content: 'x' },
      { 'x-csrf-token': mallory.browser.csrf! },
    );
    expectError(r, 403, 'csrf_failed');
    expect(await workspaceState(t, victim.attemptId)).toEqual(before);
  });

  it("a staff cookie next to the owner's candidate cookie does not widen or narrow access", async () => {
    const reviewer = await t.staff('reviewer');
    const both: Browser = {
      cookies: new Map([...reviewer.cookies, ...victim.browser.cookies]),
      csrf: victim.browser.csrf,
    };
    const r = await t.req(both, 'PUT', `/api/attempts/${victim.attemptId}/file`, {
      path: 'secret.md',
      content: 'v2',
    });
    expect(r.status).toBe(200);
    const mallory = await t.startedCandidate('Mallory', 'mallory@example.com');
    const before = await workspaceState(t, mallory.attemptId);
    // On a read the reviewer counts (404, as for any unassigned reviewer); on a mutation its CSRF token
    // does not match, so only the candidate counts (404, as for any other candidate). Neither reaches
    // the files.
    expectError(await t.req(both, 'GET', `/api/attempts/${mallory.attemptId}/files`), 404, 'not_found');
    expectError(
      await t.req(both, 'PUT', `/api/attempts/${mallory.attemptId}/file`, { path: 'x', content: 'x' }),
      404,
      'not_found',
    );
    expect(await workspaceState(t, mallory.attemptId)).toEqual(before);
  });

  it('refuses file names with bidi, zero-width and other invisible characters on every file route (Trojan Source)', async () => {
    const id = victim.attemptId;
    const b = victim.browser;
    const before = await workspaceState(t, id);
    const hostile = [
      // U+202A–202E: embeddings and overrides; "helper‮sj.exe" renders as "helperexe.js"
      ...['\u202A', '\u202B', '\u202C', '\u202D', '\u202E'].map((c) => `helper${c}sj.exe`),
      // U+2066–2069: isolates
      ...['\u2066', '\u2067', '\u2068', '\u2069'].map((c) => `src/a${c}b.py`),
      // U+200B–200F: zero-width characters and direction marks
      ...['\u200B', '\u200C', '\u200D', '\u200E', '\u200F'].map((c) => `ma${c}in.py`),
      // others: Arabic letter mark, BOM, line/paragraph separators
      'x\u061C.py',
      '\uFEFFmain.py',
      'a\u2028b.py',
      'a\u2029b.py',
    ];
    for (const p of hostile) {
      const put = await t.req(b, 'PUT', `/api/attempts/${id}/file`, { path: p, content: 'x' });
      expectError(put, 400, 'validation_failed');
      expect(put.json.error.message, JSON.stringify(p)).toMatch(/invisible or text-direction|control/);
      expectError(
        await t.req(b, 'POST', `/api/attempts/${id}/file/rename`, { from: 'secret.md', to: p }),
        400,
        'validation_failed',
      );
    }
    expect(await workspaceState(t, id)).toEqual(before);
    // The message names the code point, so the candidate can find it.
    const named = await t.req(b, 'PUT', `/api/attempts/${id}/file`, {
      path: 'helper\u202Esj.exe',
      content: 'x',
    });
    expect(named.json.error.message).toMatch(/U\+202E/);
    // An ordinary non-ASCII name is still fine.
    expect(
      (await t.req(b, 'PUT', `/api/attempts/${id}/file`, { path: 'données/café.py', content: 'x' })).status,
    ).toBe(200);
  });
});
