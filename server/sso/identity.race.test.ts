/**
 * Two first sign-ins of one person at once (two tabs, a double click on "Sign in with SSO"): both
 * look for the account, find none, and create it. The loser used to answer 500; both must get the
 * one account. SQLite always; Postgres when TEST_DATABASE_URL is set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { OidcConfig } from '../config/index.ts';
import { dialects, makeTestApp, type TestApp } from '../testing/index.ts';
import { accountFor } from './identity.ts';

const cfg: OidcConfig = {
  issuer: 'https://idp.example.com',
  clientId: 'ws',
  clientSecret: 's',
  allowedDomains: ['example.com'],
  defaultRole: 'reviewer',
  groupsClaim: 'groups',
  roleMap: [],
  scopes: ['openid'],
  redirectUri: 'https://hire.example.com/api/auth/sso/callback',
};
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
    const results = await Promise.all(Array.from({ length: 4 }, () => accountFor(t!.ctx, cfg, identity)));
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
