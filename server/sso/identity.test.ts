import { describe, expect, it } from 'vitest';
import type { OidcConfig } from '../config/index.ts';
import { identityFrom, roleFromGroups } from './identity.ts';

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
