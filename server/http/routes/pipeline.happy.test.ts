/**
 * The pipeline as an admin runs a round on it, on SQLite and on Postgres (TEST_DATABASE_URL): one
 * candidate in every stage, filters, search, sort and paging done by the server, ETag polling, and
 * bulk actions that report every row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { memoryMailer } from '../../email/index.ts';
import { needs } from '../../../tests/helpers/require.ts';
import { codeName } from '../../reviews/index.ts';

const list = dialects();
needs('postgres', list.includes('postgres'), 'set TEST_DATABASE_URL=postgres://user:pass@127.0.0.1:5432/db');

const DAY = 86_400_000;
const fullReview = {
  levels: {
    correctness: { level: 3, evidence: 'ok' },
    'error-handling': { level: 3, evidence: 'ok' },
    clarity: { level: 3, evidence: 'ok' },
  },
  recommendation: 3,
};
type Row = { candidateName: string; stage: string; [k: string]: unknown };
const names = (rows: Row[]) => rows.map((r) => r.candidateName);

describe.each(list)('pipeline on %s', (dialect) => {
  let t: TestApp;
  let admin: Browser;
  let r1Id: string;
  const ids: Record<string, { invitationId: string; attemptId?: string; browser?: Browser }> = {};

  beforeAll(async () => {
    t = await makeTestApp({ dialect });
    await t.importExample();
    const me = async (b: Browser) => (await t.req(b, 'GET', '/api/auth/me')).json.user.id as string;
    // Expired first: its clock runs out before the others are invited.
    ids.Erin = { invitationId: (await t.invite('Erin Expired', 'erin@example.com', 1)).invitation.id };
    t.clock.advance(DAY + 1);
    admin = await t.staff('admin');
    ids.Ivy = { invitationId: (await t.invite('Ivy Invited', 'ivy@example.com')).invitation.id };
    const olga = await t.invite('Olga Opened', 'olga@example.com');
    await t.candidate(olga.token);
    ids.Olga = { invitationId: olga.invitation.id };
    ids.Rex = { invitationId: (await t.invite('Rex Revoked', 'rex@example.com')).invitation.id };
    await t.req(admin, 'POST', `/api/invitations/${ids.Rex.invitationId}/revoke`);
    const start = async (name: string, submit: boolean) => {
      t.clock.advance(60_000);
      const c = await t.startedCandidate(name, `${name.split(' ')[0]!.toLowerCase()}@example.com`);
      if (submit) await t.req(c.browser, 'POST', `/api/attempts/${c.attemptId}/submit`);
      ids[name.split(' ')[0]!] = {
        invitationId: c.invitation.id,
        attemptId: c.attemptId,
        browser: c.browser,
      };
    };
    await start('Sam Started', false);
    // Submitted before any reviewer exists: nobody is assigned (the case the pipeline must not hide).
    await start('Sue Submitted', true);
    await start('Gus Graded', true);
    await t.services.runs.settle();
    await t.ctx.db
      .updateTable('grades')
      .set({ status: 'done', verdict: 'failed', passed: 3, failed: 1 })
      .where('attempt_id', '=', ids.Gus!.attemptId!)
      .execute();
    const r1 = await t.staff('reviewer', 'r1@example.com');
    const r2 = await t.staff('reviewer', 'r2@example.com');
    r1Id = await me(r1);
    await start('Rita Review', true); // round robin: r1 and r2
    await start('Dee Decided', true);
    await t.services.runs.settle();
    for (const r of [r1, r2]) {
      await t.req(r, 'PUT', `/api/reviews/${ids.Dee!.attemptId}/mine`, fullReview);
      await t.req(r, 'POST', `/api/reviews/${ids.Dee!.attemptId}/mine/submit`);
    }
    await t.req(admin, 'POST', `/api/reviews/${ids.Dee!.attemptId}/decision`, {
      decision: 'advance',
      reason: 'good',
    });
    await t.req(r1, 'PUT', `/api/reviews/${ids.Rita!.attemptId}/mine`, fullReview);
    await t.req(r1, 'POST', `/api/reviews/${ids.Rita!.attemptId}/mine/submit`);
    t.clock.advance(4 * DAY); // r2's review of Rita is now overdue (due in 3 days)
    admin = await t.staff('admin'); // a fresh session: the first one expired meanwhile
  });
  afterAll(() => t?.close());

  const get = async (query = '', headers: Record<string, string> = {}) => {
    const r = await t.req(admin, 'GET', `/api/pipeline${query}`, undefined, headers);
    if (r.status === 200) return r;
    expect(r.status, r.text).toBe(304);
    return r;
  };

  it('lists every candidate in its stage with counts, and counts unassigned submissions', async () => {
    const r = await get();
    expect(r.json.total).toBe(9);
    expect(r.json.counts).toEqual({
      invited: 1,
      opened: 1,
      started: 1,
      submitted: 1,
      graded: 1,
      'in review': 1,
      decided: 1,
      expired: 1,
      revoked: 1,
    });
    expect(r.json.unassigned).toBe(2);
    const stageOf = Object.fromEntries(r.json.rows.map((x: Row) => [x.candidateName.split(' ')[0], x.stage]));
    expect(stageOf).toEqual({
      Erin: 'expired',
      Ivy: 'invited',
      Olga: 'opened',
      Rex: 'revoked',
      Sam: 'started',
      Sue: 'submitted',
      Gus: 'graded',
      Rita: 'in review',
      Dee: 'decided',
    });
    // Newest invitation first by default; times are ISO 8601 with an offset.
    expect(r.json.rows[0].candidateName).toBe('Dee Decided');
    const dee = r.json.rows[0];
    for (const k of ['invitedAt', 'startedAt', 'submittedAt'])
      expect(dee[k]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/);
    expect(dee).toMatchObject({ decision: 'advance', submittedBy: 'candidate', unassigned: false });
    expect(dee.reviews).toMatchObject({ done: 2, assigned: 2, overdue: 0 });
  });

  it('filters by stage, task, reviewer, unassigned and decision, and searches name or email', async () => {
    const rita = (await get('?stage=in%20review')).json;
    expect(names(rita.rows)).toEqual(['Rita Review']);
    expect(rita.total).toBe(1);
    expect(rita.rows[0].reviews).toMatchObject({ done: 1, assigned: 2, overdue: 1 });
    expect(rita.rows[0].reviews.reviewers.map((x: { name: string }) => x.name)).toHaveLength(2);
    // Stage counts stay those of the other filters (the tabs' numbers), whatever stage is shown.
    expect(rita.counts.invited).toBe(1);

    expect(names((await get('?stage=invited,opened&sort=name&dir=asc')).json.rows)).toEqual([
      'Ivy Invited',
      'Olga Opened',
    ]);
    expect(names((await get('?unassigned=true&sort=name&dir=asc')).json.rows)).toEqual([
      'Gus Graded',
      'Sue Submitted',
    ]);
    expect(names((await get('?decision=advance')).json.rows)).toEqual(['Dee Decided']);
    expect(names((await get(`?reviewer=${r1Id}&sort=name&dir=asc`)).json.rows)).toEqual([
      'Dee Decided',
      'Rita Review',
    ]);
    expect((await get('?task=hello-llm')).json.total).toBe(9);
    expect((await get('?task=nope')).json.total).toBe(0);

    const gus = (await get('?q=GUS')).json.rows;
    expect(names(gus)).toEqual(['Gus Graded']);
    expect(gus[0].autoScore).toMatchObject({ status: 'done', percent: 75, passed: 3, failed: 1 });
    expect(names((await get('?q=olga%40example')).json.rows)).toEqual(['Olga Opened']);
    // LIKE wildcards in the search are literal characters.
    expect((await get('?q=%25')).json.total).toBe(0);
    expect((await get('?q=_')).json.total).toBe(0);
  });

  it('sorts and pages on the server; rows without the sort value go last', async () => {
    const p1 = (await get('?sort=name&dir=asc&pageSize=4')).json;
    const p2 = (await get('?sort=name&dir=asc&pageSize=4&page=2')).json;
    const p3 = (await get('?sort=name&dir=asc&pageSize=4&page=3')).json;
    expect([...names(p1.rows), ...names(p2.rows), ...names(p3.rows)]).toEqual([
      'Dee Decided',
      'Erin Expired',
      'Gus Graded',
      'Ivy Invited',
      'Olga Opened',
      'Rex Revoked',
      'Rita Review',
      'Sam Started',
      'Sue Submitted',
    ]);
    expect([p1.total, p1.page, p1.pageSize, p3.rows.length]).toEqual([9, 1, 4, 1]);
    const bySubmitted = names((await get('?sort=submitted&dir=desc')).json.rows);
    expect(bySubmitted.slice(0, 4)).toEqual(['Dee Decided', 'Rita Review', 'Gus Graded', 'Sue Submitted']);
    const byScore = names((await get('?sort=score&dir=desc')).json.rows);
    expect(byScore[0]).toBe('Gus Graded');
  });

  it('answers 304 to an unchanged poll, and the new stage once a candidate submits', async () => {
    const first = await get('?stage=started,submitted');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    expect((await get('?stage=started,submitted', { 'if-none-match': etag })).status).toBe(304);
    await t.req(ids.Sam!.browser, 'POST', `/api/attempts/${ids.Sam!.attemptId}/submit`);
    await t.services.runs.settle();
    const after = await get('?stage=started,submitted', { 'if-none-match': etag });
    expect(after.status).toBe(200);
    // Reviewers exist now: the submission was assigned round robin, so it is in review, not unassigned.
    expect(names(after.json.rows)).toEqual(['Sue Submitted']);
    expect(after.json.counts['in review']).toBe(2);
    expect(after.json.unassigned).toBe(2);
  });

  it('bulk-assigns a reviewer: submitted rows succeed, an unstarted one fails with its reason', async () => {
    const r = await t.req(admin, 'POST', '/api/pipeline/bulk', {
      action: 'assign',
      reviewerIds: [r1Id],
      ids: [ids.Sue!.invitationId, ids.Gus!.invitationId, ids.Ivy!.invitationId],
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ succeeded: 2, failed: 1 });
    expect(r.json.results).toEqual([
      { invitationId: ids.Sue!.invitationId, ok: true, message: 'assigned 1 reviewer(s)' },
      { invitationId: ids.Gus!.invitationId, ok: true, message: 'assigned 1 reviewer(s)' },
      { invitationId: ids.Ivy!.invitationId, ok: false, message: expect.stringMatching(/not submitted/) },
    ]);
    const after = (await get('?unassigned=true')).json;
    expect(names(after.rows)).toEqual([]);
    expect(after.unassigned).toBe(0);
  });

  it('bulk-extends and revokes unstarted invitations, refusing started ones row by row', async () => {
    const ext = await t.req(admin, 'POST', '/api/pipeline/bulk', {
      action: 'extend',
      days: 7,
      ids: [ids.Erin!.invitationId, ids.Sam!.invitationId],
    });
    expect(ext.json.results.map((x: { ok: boolean }) => x.ok)).toEqual([true, false]);
    expect(ext.json.results[1].message).toMatch(/already started/);
    expect((await get('?q=erin')).json.rows[0].stage).toBe('invited');
    const rev = await t.req(admin, 'POST', '/api/pipeline/bulk', {
      action: 'revoke',
      ids: [ids.Ivy!.invitationId, 'inv_missing'],
    });
    expect(rev.json.results).toEqual([
      { invitationId: ids.Ivy!.invitationId, ok: true, message: 'revoked' },
      { invitationId: 'inv_missing', ok: false, message: 'invitation not found' },
    ]);
    expect((await get('?q=ivy')).json.rows[0].stage).toBe('revoked');
  });

  it('bulk reminders say email is off when the server has no SMTP_URL, row by row', async () => {
    const r = await t.req(admin, 'POST', '/api/pipeline/bulk', {
      action: 'remind',
      ids: [ids.Olga!.invitationId],
    });
    expect(r.status).toBe(200);
    expect(r.json.results[0]).toMatchObject({ ok: false, message: expect.stringMatching(/email is off/) });
  });

  it('bulk-exports the selected submissions as CSV and says which rows had nothing to export', async () => {
    const r = await t.req(admin, 'POST', '/api/pipeline/bulk', {
      action: 'export',
      ids: [ids.Dee!.invitationId, ids.Olga!.invitationId],
    });
    expect(r.json.results.map((x: { ok: boolean }) => x.ok)).toEqual([true, false]);
    const lines = r.json.csv.trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(codeName(ids.Dee!.attemptId!));
    expect(lines[1]).toContain('Dee Decided');
  });
});

describe('bulk reminders by email', () => {
  it('emails unstarted candidates a fresh link (the old one stops working) and refuses started ones', async () => {
    const mailer = memoryMailer();
    const t = await makeTestApp({ mailer });
    try {
      await t.importExample();
      const admin = await t.staff('admin');
      const ivy = await t.invite('Ivy Invited', 'ivy@example.com');
      const sam = await t.startedCandidate('Sam Started', 'sam@example.com');
      await t.services.email.start();
      await t.services.settle();
      const before = mailer.sent.length;
      const r = await t.req(admin, 'POST', '/api/pipeline/bulk', {
        action: 'remind',
        ids: [ivy.invitation.id, sam.invitation.id],
      });
      expect(r.json.results.map((x: { ok: boolean }) => x.ok)).toEqual([true, false]);
      expect(r.json.results[1].message).toMatch(/already started/);
      await t.services.settle();
      const sent = mailer.sent.slice(before);
      expect(sent.map((m) => m.to)).toEqual(['ivy@example.com']);
      const link = /https?:\/\/\S+\/i\/[A-Za-z0-9_-]+/.exec(sent[0]!.text)?.[0];
      expect(link, sent[0]!.text).toBeDefined();
      // The emailed link opens the invitation; the one from before does not.
      expect(
        (await t.req(undefined, 'POST', '/api/invitations/open', { token: link!.split('/i/')[1] })).status,
      ).toBe(200);
      expect((await t.req(undefined, 'POST', '/api/invitations/open', { token: ivy.token })).status).not.toBe(
        200,
      );
    } finally {
      await t.close();
    }
  });
});
