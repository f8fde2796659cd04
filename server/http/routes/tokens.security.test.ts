/**
 * API tokens through the HTTP path: stolen-or-stale tokens (expired, revoked, a disabled creator's),
 * forged ones (malformed, unknown id, right id with a wrong secret), a token trying to manage tokens or
 * users, a token never acting as admin, CSRF (bearer requests need none, cookie requests still do),
 * and a token never written to the logs.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../logger/index.ts';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';

function captured() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('info', stream), text: () => lines.join('\n') };
}

const DAY = 86_400_000;

describe('API tokens (security)', () => {
  let t: TestApp;
  let admin: Browser;
  const log = captured();
  beforeEach(async () => {
    t = await makeTestApp({ logger: log.logger });
    await t.importExample();
    admin = await t.staff('admin', 'admin@example.com');
  });
  afterEach(() => t.close());

  const make = async (body: Record<string, unknown> = {}) => {
    const r = await t.req(admin, 'POST', '/api/tokens', {
      name: 'ats',
      scopes: ['invitations:read'],
      ...body,
    });
    expect(r.status, r.text).toBe(201);
    return { id: r.json.token.id as string, secret: r.json.secret as string };
  };
  const list = (token: string, headers: Record<string, string> = {}) =>
    t.req(undefined, 'GET', '/api/invitations', undefined, { authorization: `Bearer ${token}`, ...headers });

  it('refuses an expired token, and says so', async () => {
    const { secret } = await make({ expiresInDays: 1 });
    expect((await list(secret)).status).toBe(200);
    t.clock.advance(DAY);
    const r = await list(secret);
    expect(r.status).toBe(401);
    expect(r.json.error.message).toContain('expired');
    expect(r.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('refuses a revoked token from the next request on', async () => {
    const { id, secret } = await make();
    expect((await list(secret)).status).toBe(200);
    const revoked = await t.req(admin, 'POST', `/api/tokens/${id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.json.token.status).toBe('revoked');
    const r = await list(secret);
    expect(r.status).toBe(401);
    expect(r.json.error.message).toContain('revoked');
  });

  it('refuses malformed, unknown and wrong-secret tokens alike, without telling which', async () => {
    const { secret } = await make();
    const [, id, good] = /^(wst_[a-z0-9]+_)(.+)$/.exec(secret)!;
    const flipped = good!.slice(0, -1) + (good!.endsWith('A') ? 'B' : 'A');
    const forged = [
      '',
      'x',
      'wst_',
      secret.slice(0, -1),
      `${secret}x`,
      `${id}${flipped}`,
      `wst_0123456789abcdef0123_${good}`,
      secret.toUpperCase(),
      `${secret} extra`,
    ];
    const messages = new Set<string>();
    for (const raw of forged) {
      const r = await list(raw);
      expect(r.status, raw).toBe(401);
      expect(r.json.error.code).toBe('unauthenticated');
      messages.add(r.json.error.message);
    }
    expect([...messages]).toHaveLength(1);
    expect([...messages][0]).toContain('not valid');
    // The real one still works: nothing above locked it.
    expect((await list(secret)).status).toBe(200);
  });

  it('stops working when the admin who made it is disabled', async () => {
    const { secret } = await make();
    await t.ctx.db
      .updateTable('users')
      .set({ disabled: 1 })
      .where('email', '=', 'admin@example.com')
      .execute();
    expect((await list(secret)).status).toBe(401);
  });

  it('stops working when the admin who made it is no longer an admin', async () => {
    const { secret } = await make();
    await t.ctx.db
      .updateTable('users')
      .set({ role: 'reviewer' })
      .where('email', '=', 'admin@example.com')
      .execute();
    expect((await list(secret)).status).toBe(401);
  });

  it('cannot manage tokens or users, even with every scope', async () => {
    const { id, secret } = await make({
      scopes: ['invitations:read', 'invitations:write', 'results:read', 'tasks:read', 'tasks:write'],
    });
    const h = { authorization: `Bearer ${secret}` };
    const attempts = [
      await t.req(undefined, 'GET', '/api/tokens', undefined, h),
      await t.req(undefined, 'POST', '/api/tokens', { name: 'escalated', scopes: ['greenhouse'] }, h),
      await t.req(undefined, 'POST', `/api/tokens/${id}/revoke`, {}, h),
      await t.req(undefined, 'GET', '/api/users', undefined, h),
      await t.req(
        undefined,
        'POST',
        '/api/users',
        { email: 'x@example.com', role: 'admin', password: 'p' },
        h,
      ),
      await t.req(undefined, 'GET', '/api/auth/me', undefined, h),
    ];
    for (const r of attempts) expect(r.status).toBe(403);
    const tokens = await t.ctx.db.selectFrom('api_tokens').select(['name', 'revoked_at']).execute();
    expect(tokens).toEqual([{ name: 'ats', revoked_at: null }]);
    expect(await t.ctx.db.selectFrom('users').select('email').execute()).toHaveLength(1);
  });

  it('authenticates by the token alone: an admin cookie on the same request adds nothing', async () => {
    const { secret } = await make();
    // The admin's cookies and CSRF token ride along; the route needs a session, the request is a token's.
    const r = await t.req(admin, 'GET', '/api/users', undefined, { authorization: `Bearer ${secret}` });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('insufficient_scope');
  });

  it('never acts as admin: the results export keeps identities blank for a token', async () => {
    const { secret } = await make({ scopes: ['results:read'] });
    const r = await t.req(undefined, 'GET', '/api/export?format=json', undefined, {
      authorization: `Bearer ${secret}`,
    });
    expect(r.status).toBe(200);
    expect(r.json.identities).toBe(false);
    const me = await t.req(admin, 'GET', '/api/export?format=json');
    expect(me.json.identities).toBe(true);
  });

  it('needs no CSRF header on a bearer request, while a cookie request without one is still refused', async () => {
    const { secret } = await make({ scopes: ['invitations:write'] });
    const body = { taskSlug: 'hello-llm', candidateName: 'Ada', candidateEmail: 'ada@example.com' };
    const bearer = await t.req(undefined, 'POST', '/api/invitations', body, {
      authorization: `Bearer ${secret}`,
    });
    expect(bearer.status).toBe(201);
    const noCsrf: Browser = { cookies: admin.cookies }; // the cookie, no CSRF token
    const cookie = await t.req(noCsrf, 'POST', '/api/invitations', body);
    expect(cookie.status).toBe(403);
    expect(cookie.json.error.code).toBe('csrf_failed');
    expect(await t.ctx.db.selectFrom('invitations').select('id').execute()).toHaveLength(1);
  });

  it('shows the secret once: never in the list, stored only as a hash', async () => {
    const { id, secret } = await make();
    const listed = await t.req(admin, 'GET', '/api/tokens');
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(secret.slice(-43));
    expect(listed.json.tokens[0]).toMatchObject({ id, prefix: secret.slice(0, secret.length - 43) });
    const row = await t.ctx.db.selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(secret.slice(-43));
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('only admins make, list or revoke tokens', async () => {
    const { id } = await make();
    for (const role of ['author', 'reviewer'] as const) {
      const who = await t.staff(role);
      expect((await t.req(who, 'GET', '/api/tokens')).status).toBe(403);
      expect((await t.req(who, 'POST', '/api/tokens', { name: 'n', scopes: ['tasks:read'] })).status).toBe(
        403,
      );
      expect((await t.req(who, 'POST', `/api/tokens/${id}/revoke`)).status).toBe(403);
    }
    expect(await t.ctx.db.selectFrom('api_tokens').select('id').execute()).toHaveLength(1);
  });

  it('leaves the candidate link alone: a bearer header on /i/… neither helps nor breaks it', async () => {
    const { secret } = await make({ scopes: ['invitations:read'] });
    const { token } = await t.invite();
    for (const authorization of [`Bearer ${secret}`, 'Bearer nonsense']) {
      const r = await t.app.request(`/i/${token}`, { headers: { authorization } });
      expect(r.status).toBe(303);
    }
  });

  it('never writes a token to the logs, used well or badly', async () => {
    const { secret } = await make();
    await list(secret);
    await list(`${secret.slice(0, -1)}Q`);
    await t.req(undefined, 'GET', `/api/invitations/${secret}`, undefined, {
      authorization: `Bearer ${secret}`,
    });
    await t.req(undefined, 'GET', `/api/users`, undefined, { authorization: `Bearer ${secret}` });
    const text = log.text();
    expect(text).toContain('"msg":"request"');
    expect(text).not.toContain(secret.slice(-43));
    expect(text).not.toContain(secret.slice(-20));
  });
});
