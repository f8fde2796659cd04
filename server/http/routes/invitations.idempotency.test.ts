/**
 * Idempotent invitation creation for an ATS: `externalId` stored, returned, searchable and exported;
 * `Idempotency-Key` replays the first answer for the same request, refuses a different one with 409,
 * and lets only one of several simultaneous duplicates create an invitation (on SQLite and Postgres).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dialects, makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';

const body = {
  taskSlug: 'hello-llm',
  candidateName: 'Ada Lovelace',
  candidateEmail: 'ada@example.com',
  externalId: 'gh-application-4242',
};

for (const dialect of dialects()) {
  describe(`idempotent invitations (${dialect})`, () => {
    let t: TestApp;
    let admin: Browser;
    const setup = async () => {
      t = await makeTestApp({ dialect });
      await t.importExample();
      admin = await t.staff('admin');
    };
    afterEach(() => t.close());
    const count = async () => (await t.ctx.db.selectFrom('invitations').select('id').execute()).length;
    const post = (b: unknown, key?: string, who: Browser = admin) =>
      t.req(who, 'POST', '/api/invitations', b, key ? { 'idempotency-key': key } : {});

    it('answers a retry with the same key and body with the first response, creating one invitation', async () => {
      await setup();
      const first = await post(body, 'key-1');
      expect(first.status).toBe(201);
      expect(first.json.invitation.externalId).toBe('gh-application-4242');
      const again = await post({ ...body }, 'key-1');
      expect(again.status).toBe(201);
      expect(again.text).toBe(first.text);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      // The same JSON with its fields in another order is the same request.
      const reordered = Object.fromEntries(Object.entries(body).reverse());
      expect((await post(reordered, 'key-1')).text).toBe(first.text);
      expect(await count()).toBe(1);
      // No key: a new invitation every time.
      expect((await post(body)).json.invitation.id).not.toBe(first.json.invitation.id);
      expect(await count()).toBe(2);
    });

    it('refuses the same key with a different body with 409 and creates nothing', async () => {
      await setup();
      expect((await post(body, 'key-2')).status).toBe(201);
      const other = await post({ ...body, candidateEmail: 'grace@example.com' }, 'key-2');
      expect(other.status).toBe(409);
      expect(other.json.error.code).toBe('idempotency_key_reused');
      expect(other.json.error.message).toContain('different request');
      const bulk = await t.req(
        admin,
        'POST',
        '/api/invitations/bulk',
        { taskSlug: 'hello-llm', csv: 'Ada,ada@example.com' },
        { 'idempotency-key': 'key-2' },
      );
      expect(bulk.status).toBe(409);
      expect(await count()).toBe(1);
    });

    it('lets only one of many simultaneous duplicates create an invitation', async () => {
      await setup();
      const results = await Promise.all(Array.from({ length: 6 }, () => post(body, 'key-race')));
      expect(results.map((r) => r.status)).toEqual(Array(6).fill(201));
      expect(new Set(results.map((r) => r.json.invitation.id)).size).toBe(1);
      expect(await count()).toBe(1);
    });

    it('keeps keys apart per principal and forgets them after 24 hours', async () => {
      await setup();
      const made = await t.req(admin, 'POST', '/api/tokens', { name: 'ats', scopes: ['invitations:write'] });
      const bearer = { authorization: `Bearer ${made.json.secret}` };
      const viaToken = (key: string) =>
        t.req(undefined, 'POST', '/api/invitations', body, { ...bearer, 'idempotency-key': key });
      const a = await viaToken('shared-key');
      const b = await post(body, 'shared-key');
      expect(b.json.invitation.id).not.toBe(a.json.invitation.id);
      expect((await viaToken('shared-key')).json.invitation.id).toBe(a.json.invitation.id);
      t.clock.advance(24 * 3600_000);
      const later = await viaToken('shared-key');
      expect(later.status).toBe(201);
      expect(later.headers.get('idempotent-replayed')).toBeNull();
      expect(later.json.invitation.id).not.toBe(a.json.invitation.id);
      expect(await count()).toBe(3);
    });

    it('stores the replayable response so a database leak does not reveal the link', async () => {
      await setup();
      const first = await post(body, 'key-leak');
      const token = (first.json.link as string).split('/i/')[1]!;
      const rows = await t.ctx.db.selectFrom('idempotency_keys').selectAll().execute();
      expect(rows).toHaveLength(1);
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(token);
      expect(dump).not.toContain('key-leak');
      expect(dump).not.toContain('ada@example.com');
    });
  });
}

describe('external ids', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('are searchable in the list, kept from bulk files, and in the results export', async () => {
    t = await makeTestApp();
    await t.importExample();
    const admin = await t.staff('admin');
    await t.req(admin, 'POST', '/api/invitations', body);
    await t.req(admin, 'POST', '/api/invitations', {
      ...body,
      candidateEmail: 'b@example.com',
      externalId: 'other',
    });
    const bulk = await t.req(admin, 'POST', '/api/invitations/bulk', {
      taskSlug: 'hello-llm',
      csv: 'name,email,external id\nGrace,grace@example.com,gh-7\nAlan,alan@example.com,',
    });
    expect(bulk.status).toBe(201);
    expect(bulk.json.created.map((c: any) => c.invitation.externalId)).toEqual(['gh-7', null]);
    const found = await t.req(admin, 'GET', '/api/invitations?externalId=gh-application-4242');
    expect(found.json.invitations.map((i: any) => i.candidateEmail)).toEqual(['ada@example.com']);
    expect((await t.req(admin, 'GET', '/api/invitations')).json.invitations).toHaveLength(4);

    const invite = found.json.invitations[0];
    const link = (await t.req(admin, 'POST', `/api/invitations/${invite.id}/resend`)).json.link as string;
    const cand = await t.candidate(link.split('/i/')[1]!);
    const started = await t.req(cand, 'POST', '/api/candidate/start');
    await t.req(cand, 'POST', `/api/attempts/${started.json.attempt.id}/submit`);
    const exported = await t.req(admin, 'GET', '/api/export?format=json&externalId=gh-application-4242');
    expect(exported.json.rows).toEqual([expect.objectContaining({ externalId: 'gh-application-4242' })]);
    const csv = await t.req(admin, 'GET', '/api/export');
    expect(csv.text.split('\r\n')[1]).toContain(',gh-application-4242,');
  });

  it('refuses control and invisible characters', async () => {
    t = await makeTestApp();
    await t.importExample();
    const admin = await t.staff('admin');
    for (const externalId of ['a\nb', 'x\u202ey', '']) {
      const r = await t.req(admin, 'POST', '/api/invitations', { ...body, externalId });
      expect(r.status, JSON.stringify(externalId)).toBe(400);
    }
  });
});
