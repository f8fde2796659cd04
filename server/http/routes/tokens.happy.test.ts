import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';

describe('API tokens (happy path and errors)', () => {
  let t: TestApp;
  let admin: Browser;
  beforeEach(async () => {
    t = await makeTestApp();
    admin = await t.staff('admin');
  });
  afterEach(() => t.close());

  it('makes a token shown once, lists it with its use, and revokes it', async () => {
    const made = await t.req(admin, 'POST', '/api/tokens', {
      name: 'Greenhouse sync',
      scopes: ['invitations:write', 'results:read'],
      expiresInDays: 90,
    });
    expect(made.status).toBe(201);
    expect(made.headers.get('cache-control')).toBe('no-store');
    expect(made.json.secret).toMatch(/^wst_[a-z0-9]+_[A-Za-z0-9_-]{43}$/);
    expect(made.json.token).toMatchObject({
      name: 'Greenhouse sync',
      scopes: ['invitations:write', 'results:read'],
      expiresAt: t.clock.now() + 90 * 86_400_000,
      lastUsedAt: null,
      status: 'active',
    });
    t.clock.advance(5_000);
    const used = await t.req(undefined, 'GET', '/api/export?format=json', undefined, {
      authorization: `Bearer ${made.json.secret}`,
    });
    expect(used.status).toBe(200);
    const listed = await t.req(admin, 'GET', '/api/tokens');
    expect(listed.json.tokens).toEqual([
      expect.objectContaining({ id: made.json.token.id, lastUsedAt: t.clock.now() }),
    ]);
    expect(listed.json.scopes.map((s: { scope: string }) => s.scope)).toContain('greenhouse');
    const revoked = await t.req(admin, 'POST', `/api/tokens/${made.json.token.id}/revoke`);
    expect(revoked.json.token).toMatchObject({ status: 'revoked', revokedAt: t.clock.now() });
  });

  it('makes tokens that never expire when asked', async () => {
    const made = await t.req(admin, 'POST', '/api/tokens', {
      name: 'ci',
      scopes: ['tasks:read'],
      expiresInDays: null,
    });
    expect(made.json.token.expiresAt).toBeNull();
  });

  it('refuses a token without a name or scopes, or with an unknown scope', async () => {
    for (const body of [
      { name: '', scopes: ['tasks:read'] },
      { name: 'x', scopes: [] },
      { name: 'x', scopes: ['admin'] },
      { name: 'x', scopes: ['tasks:read', 'tasks:read'] },
    ]) {
      const r = await t.req(admin, 'POST', '/api/tokens', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await t.req(admin, 'POST', '/api/tokens/tok_nope/revoke')).status).toBe(404);
  });
});
