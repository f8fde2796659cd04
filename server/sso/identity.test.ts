import { afterEach, describe, expect, it } from 'vitest';
import type { OidcConfig } from '../config/index.ts';
import { dialects, makeTestApp, type TestApp } from '../testing/index.ts';
import { accountFor, identityFrom, roleFromGroups } from './identity.ts';

const cfg: OidcConfig = {
  issuer: 'https://idp.example.com',
  clientId: 'ws',
  clientSecret: 's',
  allowedDomains: ['example.com'],
  defaultRole: 'reviewer',
  groupsClaim: 'groups',
  roleMap: [
    { group: 'eng', role: 'reviewer' },
    { group: 'authors', role: 'author' },
    { group: 'hiring-admins', role: 'admin' },
  ],
  scopes: ['openid'],
  redirectUri: 'https://hire.example.com/api/auth/sso/callback',
};
const base = { iss: cfg.issuer, sub: 'u1', email: 'Ada@Example.com', email_verified: true };

describe('identityFrom', () => {
  it('normalises the email, takes groups from the configured claim and a name from the claims', () => {
    const r = identityFrom({ ...base, given_name: 'Ada', family_name: 'Lovelace', groups: 'eng' }, cfg);
    expect(r).toEqual({
      ok: true,
      identity: {
        issuer: cfg.issuer,
        subject: 'u1',
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        groups: ['eng'],
      },
    });
    const other = identityFrom({ ...base, roles: ['authors', 7] }, { ...cfg, groupsClaim: 'roles' });
    expect(other.ok && other.identity).toMatchObject({ name: 'ada', groups: ['authors'] });
  });

  it.each([
    [{ email: undefined }, 'email'],
    [{ email: 'not an email' }, 'email'],
    [{ email_verified: false }, 'unverified'],
    [{ email_verified: undefined }, 'unverified'],
    [{ email_verified: 'yes' }, 'unverified'],
    [{ email: 'ada@sub.example.com' }, 'domain'],
    [{ email: 'ada@example.com.evil.test' }, 'domain'],
    [{ email: 'ada@evil.test' }, 'domain'],
  ])('refuses %o as %s', (change, reason) => {
    expect(identityFrom({ ...base, ...change } as never, cfg)).toMatchObject({ ok: false, reason });
  });

  it('accepts email_verified sent as the string "true"', () => {
    expect(identityFrom({ ...base, email_verified: 'true' }, cfg).ok).toBe(true);
  });
});

describe('roleFromGroups', () => {
  it('takes the highest mapped role, ignores unmapped groups, and is undefined without a match', () => {
    expect(roleFromGroups(['eng', 'hiring-admins', 'authors'], cfg)).toBe('admin');
    expect(roleFromGroups(['other', 'authors', 'eng'], cfg)).toBe('author');
    expect(roleFromGroups(['Hiring-Admins', 'other'], cfg)).toBeUndefined();
    expect(roleFromGroups(['eng'], { ...cfg, roleMap: [] })).toBeUndefined();
  });
});

/**
 * Two first sign-ins of one person at once (two tabs, a double click on "Sign in with SSO"): both
 * look for the account, find none, and create it. The loser used to answer 500; both must get the
 * one account. SQLite always; Postgres when TEST_DATABASE_URL is set.
 */
const identity = {
  issuer: cfg.issuer,
  subject: 'sub-ada',
  email: 'ada@example.com',
  name: 'Ada',
  groups: [],
};

describe.each(dialects())('just-in-time accounts on %s', (dialect) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('gives simultaneous first sign-ins the same single account', async () => {
    t = await makeTestApp({ dialect });
    const results = await Promise.all(
      Array.from({ length: 4 }, () => accountFor(t!.ctx, { ...cfg, roleMap: [] }, identity)),
    );
    const ids = results.map((r) => (r.ok ? r.user.id : r.detail));
    expect(new Set(ids).size).toBe(1);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.filter((r) => r.ok && r.created)).toHaveLength(1);
    const rows = await t.ctx.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', identity.email)
      .execute();
    expect(rows.map((r) => r.id)).toEqual([ids[0]]);
  });
});
