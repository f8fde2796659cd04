import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.ts';

const sso = {
  OIDC_ISSUER: 'https://login.example.com',
  OIDC_CLIENT_ID: 'worksample',
  OIDC_CLIENT_SECRET: 'super-secret-value',
  OIDC_ALLOWED_DOMAINS: 'Example.com, example.org',
};

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('staff SSO configuration', () => {
  it('is off by default, with local passwords on', () => {
    expect(loadConfig({}).staffAuth).toEqual({ oidc: undefined, localPasswords: true, breakGlass: [] });
  });

  it('reads the provider, domains (lower-cased), default role, groups claim and role map', () => {
    const c = loadConfig({
      ...sso,
      PUBLIC_URL: 'https://hire.example.com/',
      OIDC_ROLE_MAP: 'hiring-admins=admin, eng = reviewer,team=a=author',
      OIDC_GROUPS_CLAIM: 'roles',
    });
    expect(c.staffAuth.oidc).toEqual({
      issuer: 'https://login.example.com',
      clientId: 'worksample',
      clientSecret: 'super-secret-value',
      allowedDomains: ['example.com', 'example.org'],
      defaultRole: 'reviewer',
      groupsClaim: 'roles',
      roleMap: [
        { group: 'hiring-admins', role: 'admin' },
        { group: 'eng', role: 'reviewer' },
        // The last `=` separates the role, so a group name may contain `=`.
        { group: 'team=a', role: 'author' },
      ],
      scopes: ['openid', 'email', 'profile'],
      redirectUri: 'https://hire.example.com/api/auth/sso/callback',
    });
  });

  it('names what is missing, without printing the secret', () => {
    expect(problems({ OIDC_ISSUER: 'https://login.example.com' })).toEqual([
      'OIDC_CLIENT_ID: required when OIDC_ISSUER is set',
      'OIDC_CLIENT_SECRET: required when OIDC_ISSUER is set',
      expect.stringMatching(/^OIDC_ALLOWED_DOMAINS: required/),
    ]);
    expect(problems({ ...sso, OIDC_ISSUER: '' }).join('\n')).not.toContain('super-secret-value');
    expect(problems({ LOCAL_PASSWORDS: 'off' })).toEqual([
      expect.stringMatching(/LOCAL_PASSWORDS=off: needs OIDC_ISSUER/),
    ]);
  });

  it.each([
    ['OIDC_ISSUER', 'http://login.example.com', /https URL/],
    ['OIDC_ALLOWED_DOMAINS', '*', /comma-separated list of email domains/],
    ['OIDC_ALLOWED_DOMAINS', 'example.com,@evil', /comma-separated list of email domains/],
    ['OIDC_DEFAULT_ROLE', 'owner', /admin, author, reviewer or none/],
    ['OIDC_ROLE_MAP', 'hiring-admins=owner', /group=role pairs/],
    ['OIDC_ROLE_MAP', 'just-a-group', /group=role pairs/],
    ['OIDC_SCOPES', 'email profile', /includes openid/],
    ['LOCAL_PASSWORDS', 'no', /on or off/],
    ['LOCAL_PASSWORD_BREAK_GLASS', 'root', /staff emails/],
  ])('refuses %s=%s', (name, value, why) => {
    const found = problems({ ...sso, [name]: value });
    expect(found.find((p) => p.startsWith(`${name}=`))).toMatch(why);
  });

  it('accepts plain http only for a loopback issuer (the tests’ own provider)', () => {
    expect(loadConfig({ ...sso, OIDC_ISSUER: 'http://127.0.0.1:4000' }).staffAuth.oidc?.issuer).toBe(
      'http://127.0.0.1:4000',
    );
  });

  it('keeps break-glass emails normalised and turns local passwords off', () => {
    const c = loadConfig({
      ...sso,
      LOCAL_PASSWORDS: 'off',
      LOCAL_PASSWORD_BREAK_GLASS: ' Root@Example.com ',
    });
    expect(c.staffAuth).toMatchObject({ localPasswords: false, breakGlass: ['root@example.com'] });
  });
});
