/** Invitation admin: bulk invite from CSV, resend, extend, and the task funnel (happy / error / security). */
import { cp, mkdtemp, appendFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleTaskDir, makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import { listInvitations } from '../../invitations/index.ts';

const DAY = 86_400_000;
const fullReview = {
  levels: {
    correctness: { level: 3, evidence: 'Handles fences and prose.' },
    'error-handling': { level: 4, evidence: 'Specific messages.' },
    clarity: { level: 2, evidence: 'Long function.' },
  },
  recommendation: 3,
};

const tokenOf = (link: string) => link.split('/i/')[1]!;
const invitationRows = (t: TestApp) => t.ctx.db.selectFrom('invitations').selectAll().orderBy('id').execute();

describe('invitations admin (happy path)', () => {
  let t: TestApp;
  let author: Browser;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
    author = await t.staff('author');
  });
  afterEach(() => t.close());

  it('bulk-invites from a file with a header, quoted commas and CRLF, and every link opens', async () => {
    const csv = 'Name,Email\r\n"Lovelace, Ada",Ada@Example.com\r\nAlan Turing, alan@example.com \r\n';
    const r = await t.req(author, 'POST', '/api/invitations/bulk', {
      taskSlug: 'hello-llm',
      csv,
      expiresInDays: 3,
    });
    expect(r.status, r.text).toBe(201);
    expect(r.json.errors).toEqual([]);
    expect(r.json.created.map((c: { invitation: { candidateName: string } }) => c.invitation)).toEqual([
      expect.objectContaining({
        candidateName: 'Lovelace, Ada',
        candidateEmail: 'ada@example.com',
        taskSlug: 'hello-llm',
        taskVersion: 1,
        status: 'invited',
        expiresAt: t.clock.now() + 3 * DAY,
      }),
      expect.objectContaining({ candidateName: 'Alan Turing', candidateEmail: 'alan@example.com' }),
    ]);
    const listed = await t.req(author, 'GET', '/api/invitations');
    expect(listed.json.invitations).toHaveLength(2);
    for (const { link } of r.json.created) {
      const cand = await t.candidate(tokenOf(link));
      expect((await t.req(cand, 'GET', '/api/candidate')).status).toBe(200);
    }
  });

  it('creates the good rows and reports each bad row by line (missing name, bad email, duplicate)', async () => {
    const admin = await t.staff('admin');
    const csv = [
      'Ada,ada@example.com',
      ',nameless@example.com',
      'Bo,not-an-email',
      '',
      'Ada Again,ADA@example.com',
      'Cy,cy@example.com,extra',
      'Dee,dee@example.com',
    ].join('\n');
    const r = await t.req(admin, 'POST', '/api/invitations/bulk', { taskSlug: 'hello-llm', csv });
    expect(r.status, r.text).toBe(201);
    expect(
      r.json.created.map((c: { invitation: { candidateEmail: string } }) => c.invitation.candidateEmail),
    ).toEqual(['ada@example.com', 'dee@example.com']);
    expect(r.json.errors).toEqual([
      { line: 2, message: 'name is missing' },
      { line: 3, message: expect.stringMatching(/^email "not-an-email": expected an email address/) },
      { line: 5, message: 'duplicate email ada@example.com (first on line 1)' },
      { line: 6, message: expect.stringMatching(/expected 2 fields.*found 3.*double quotes/) },
    ]);
    expect((await invitationRows(t)).map((i) => i.candidate_email).sort()).toEqual([
      'ada@example.com',
      'dee@example.com',
    ]);
  });

  it('resend gives the same invitation a new link: the old one stops working, sessions opened with it end', async () => {
    const { invitation, token } = await t.invite();
    const early = await t.candidate(token);
    const r = await t.req(author, 'POST', `/api/invitations/${invitation.id}/resend`);
    expect(r.status, r.text).toBe(200);
    expect(r.json.invitation).toMatchObject({ id: invitation.id, status: 'invited' });
    const fresh = tokenOf(r.json.link);
    expect(fresh).not.toBe(token);
    expectError(
      await t.req({ cookies: new Map() }, 'POST', '/api/invitations/open', { token }),
      404,
      'not_found',
    );
    expectError(await t.req(early, 'GET', '/api/candidate'), 401, 'unauthenticated');
    const cand = await t.candidate(fresh);
    expect((await t.req(cand, 'POST', '/api/candidate/start')).status).toBe(200);
    expect(await invitationRows(t)).toHaveLength(1);
  });

  it('extend pushes the expiry from the current expiry, and from now once it passed (usable again)', async () => {
    const { invitation, token } = await t.invite('Ada', 'ada@example.com', 2);
    const r = await t.req(author, 'POST', `/api/invitations/${invitation.id}/extend`, { days: 3 });
    expect(r.status, r.text).toBe(200);
    expect(r.json.invitation.expiresAt).toBe(invitation.expiresAt + 3 * DAY);

    t.clock.advance(6 * DAY);
    author = await t.staff('author'); // the first staff session lapsed with the days
    expect((await listInvitations(t.ctx, invitation.id))[0]!.status).toBe('expired');
    expectError(
      await t.req({ cookies: new Map() }, 'POST', '/api/invitations/open', { token }),
      410,
      'invitation_expired',
    );
    const again = await t.req(author, 'POST', `/api/invitations/${invitation.id}/extend`, { days: 1 });
    expect(again.json.invitation).toMatchObject({ status: 'invited', expiresAt: t.clock.now() + DAY });
    const cand = await t.candidate(token);
    expect((await t.req(cand, 'POST', '/api/candidate/start')).status).toBe(200);
  });

  it('funnel counts how many invitations reached each stage (cumulative), overall and per version', async () => {
    const tmp = await mkdtemp(path.join(tmpdir(), 'worksample-task-'));
    const dir = path.join(tmp, 'hello-llm'); // the folder name must be the slug
    await cp(exampleTaskDir, dir, { recursive: true });
    await appendFile(path.join(dir, 'statement.md'), '\nVersion two.\n');
    await t.importExample(dir);
    await rm(tmp, { recursive: true, force: true });
    // Version 2 (latest): one expired (staff sign in after the clock moves past it).
    await t.invite('Exp', 'exp@example.com', 1);
    t.clock.advance(DAY + 1);
    author = await t.staff('author');
    const admin = await t.staff('admin');
    const reviewers = [await t.staff('reviewer'), await t.staff('reviewer')];

    // Version 1: one invited, one revoked.
    const v1 = await t.req(author, 'POST', '/api/invitations/bulk', {
      taskSlug: 'hello-llm',
      taskVersion: 1,
      csv: 'A,a@example.com\nB,b@example.com',
    });
    await t.req(author, 'POST', `/api/invitations/${v1.json.created[1].invitation.id}/revoke`);
    // Version 2: started, submitted, graded, decided.
    await t.startedCandidate('Started', 'started@example.com');
    const submitted = async (name: string) => {
      const c = await t.startedCandidate(name, `${name}@example.com`);
      await t.req(c.browser, 'POST', `/api/attempts/${c.attemptId}/submit`);
      await t.services.runs.settle();
      return c.attemptId;
    };
    await submitted('sub');
    const graded = await submitted('graded');
    await t.ctx.db
      .updateTable('grades')
      .set({ status: 'done', verdict: 'passed' })
      .where('attempt_id', '=', graded)
      .execute();
    const decided = await submitted('decided');
    for (const r of reviewers) {
      await t.req(r, 'PUT', `/api/reviews/${decided}/mine`, fullReview);
      expect((await t.req(r, 'POST', `/api/reviews/${decided}/mine/submit`)).status).toBe(200);
    }
    const d = await t.req(admin, 'POST', `/api/reviews/${decided}/decision`, {
      decision: 'hold',
      reason: 'close call',
    });
    expect(d.status, d.text).toBe(200);

    const f = await t.req(author, 'GET', '/api/tasks/hello-llm/funnel');
    expect(f.status, f.text).toBe(200);
    const none = { invited: 0, started: 0, submitted: 0, graded: 0, decided: 0, expired: 0, revoked: 0 };
    expect(f.json).toEqual({
      task: 'hello-llm',
      total: 7,
      // Everyone was invited; 4 started, 3 of them submitted, 2 got past grading, 1 was decided.
      counts: { invited: 7, started: 4, submitted: 3, graded: 2, decided: 1, expired: 1, revoked: 1 },
      versions: [
        { version: 1, total: 2, counts: { ...none, invited: 2, revoked: 1 } },
        {
          version: 2,
          total: 5,
          counts: { ...none, invited: 5, started: 4, submitted: 3, graded: 2, decided: 1, expired: 1 },
        },
      ],
    });
  });
});

describe('invitations admin (errors)', () => {
  let t: TestApp;
  let author: Browser;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
    author = await t.staff('author');
  });
  afterEach(() => t.close());

  const bulk = (body: Record<string, unknown>) =>
    t.req(author, 'POST', '/api/invitations/bulk', { taskSlug: 'hello-llm', ...body });

  it('refuses a file with no good row with 400 and the per-line errors, creating nothing', async () => {
    const r = await bulk({ csv: 'name,email\n,x@example.com\nBo,bo@\n"Cy,cy@example.com' });
    expectError(r, 400, 'validation_failed', /no invitation created.*line 2: name is missing/);
    expect(r.json.error.details.errors).toEqual([
      { line: 2, message: 'name is missing' },
      { line: 3, message: expect.stringMatching(/^email "bo@"/) },
      { line: 4, message: expect.stringMatching(/never closed/) },
    ]);
    expect(await invitationRows(t)).toEqual([]);
  });

  it('refuses empty files, too many rows, unknown tasks and bad options, creating nothing', async () => {
    expectError(await bulk({ csv: '' }), 400, 'validation_failed', /csv: no rows/);
    expectError(await bulk({ csv: 'name,email\n' }), 400, 'validation_failed', /csv: no rows/);
    const many = Array.from({ length: 501 }, (_, i) => `P${i},p${i}@example.com`).join('\n');
    expectError(await bulk({ csv: many }), 400, 'validation_failed', /501 rows; at most 500 per upload/);
    expectError(
      await bulk({ taskSlug: 'nope', csv: 'A,a@example.com' }),
      404,
      'not_found',
      /task nope not found/,
    );
    expectError(await bulk({ taskVersion: 9, csv: 'A,a@example.com' }), 404, 'not_found', /no version 9/);
    expectError(
      await bulk({ csv: 'A,a@example.com', expiresInDays: 0 }),
      400,
      'validation_failed',
      /expiresInDays/,
    );
    expectError(await bulk({}), 400, 'validation_failed', /csv/);
    expect(await invitationRows(t)).toEqual([]);
  });

  it('refuses to resend or extend a started invitation (409), and leaves token and expiry alone', async () => {
    const { invitation } = await t.startedCandidate();
    const before = await invitationRows(t);
    expectError(
      await t.req(author, 'POST', `/api/invitations/${invitation.id}/resend`),
      409,
      'conflict',
      /already started/,
    );
    expectError(
      await t.req(author, 'POST', `/api/invitations/${invitation.id}/extend`, { days: 2 }),
      409,
      'conflict',
      /already started/,
    );
    expect(await invitationRows(t)).toEqual(before);
  });

  it('refuses to resend or extend a revoked invitation, and to resend an expired one before extending it', async () => {
    const revoked = (await t.invite('R', 'r@example.com')).invitation;
    await t.req(author, 'POST', `/api/invitations/${revoked.id}/revoke`);
    const expired = (await t.invite('E', 'e@example.com', 1)).invitation;
    t.clock.advance(2 * DAY);
    author = await t.staff('author'); // the first staff session lapsed with the days
    const before = await invitationRows(t);
    expectError(
      await t.req(author, 'POST', `/api/invitations/${revoked.id}/resend`),
      409,
      'conflict',
      /revoked/,
    );
    expectError(
      await t.req(author, 'POST', `/api/invitations/${revoked.id}/extend`, { days: 1 }),
      409,
      'conflict',
      /revoked/,
    );
    expectError(
      await t.req(author, 'POST', `/api/invitations/${expired.id}/resend`),
      409,
      'conflict',
      /extend it first/,
    );
    expect(await invitationRows(t)).toEqual(before);
  });

  it('validates extend days and unknown ids, changing nothing', async () => {
    const { invitation } = await t.invite('A', 'a@example.com', 300);
    const before = await invitationRows(t);
    const url = `/api/invitations/${invitation.id}/extend`;
    expectError(await t.req(author, 'POST', url, { days: 0 }), 400, 'validation_failed', /days/);
    expectError(await t.req(author, 'POST', url, { days: 400 }), 400, 'validation_failed', /days/);
    expectError(
      await t.req(author, 'POST', url, { days: 100 }),
      400,
      'validation_failed',
      /more than 365 days from now/,
    );
    expectError(await t.req(author, 'POST', url, {}), 400, 'validation_failed', /days/);
    expectError(
      await t.req(author, 'POST', '/api/invitations/inv_nope/extend', { days: 1 }),
      404,
      'not_found',
    );
    expectError(await t.req(author, 'POST', '/api/invitations/inv_nope/resend'), 404, 'not_found');
    expectError(
      await t.req(author, 'GET', '/api/tasks/nope/funnel'),
      404,
      'not_found',
      /task nope not found/,
    );
    expect(await invitationRows(t)).toEqual(before);
  });
});

describe('invitations admin (security)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
  });
  afterEach(() => t.close());

  it('refuses reviewers (403), candidates and anonymous callers (401) on every route, changing nothing', async () => {
    const reviewer = await t.staff('reviewer');
    const { browser: candidate } = await t.startedCandidate();
    const { invitation } = await t.invite('Eve', 'eve@example.com');
    const before = await invitationRows(t);
    const calls = [
      ['POST', '/api/invitations/bulk', { taskSlug: 'hello-llm', csv: 'M,m@example.com' }],
      ['POST', `/api/invitations/${invitation.id}/resend`, undefined],
      ['POST', `/api/invitations/${invitation.id}/extend`, { days: 5 }],
      ['GET', '/api/tasks/hello-llm/funnel', undefined],
    ] as const;
    for (const [method, url, body] of calls) {
      expectError(await t.req(reviewer, method, url, body), 403, 'forbidden');
      for (const who of [candidate, { cookies: new Map<string, string>() }])
        expectError(await t.req(who, method, url, body), 401, 'unauthenticated');
    }
    expect(await invitationRows(t)).toEqual(before);
  });

  it('stores bulk and resent links only as hashes', async () => {
    const author = await t.staff('author');
    const r = await t.req(author, 'POST', '/api/invitations/bulk', {
      taskSlug: 'hello-llm',
      csv: 'A,a@example.com',
    });
    const again = await t.req(author, 'POST', `/api/invitations/${r.json.created[0].invitation.id}/resend`);
    const stored = JSON.stringify(await invitationRows(t));
    for (const link of [r.json.created[0].link, again.json.link]) expect(stored).not.toContain(tokenOf(link));
  });
});
