/**
 * Staff single sign-on (OIDC) and local-password settings. Stops a misconfigured SSO from quietly
 * admitting anyone: an issuer over plain http (other than loopback), an empty domain allow-list, or a
 * role map naming a role that does not exist all stop startup with the variable named.
 */
import { z } from 'zod';

const ROLES = ['admin', 'author', 'reviewer'] as const;
type Role = (typeof ROLES)[number];

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

export const oidcEnvShape = {
  OIDC_ISSUER: z
    .url({ message: 'expected the identity provider issuer URL, e.g. https://login.example.com' })
    .refine(
      (v) => {
        const u = new URL(v);
        return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname));
      },
      { message: 'expected an https URL (plain http only on loopback, for tests)' },
    )
    .optional(),
  OIDC_CLIENT_ID: z.string().max(500).optional(),
  // No format checks: a failing check would print the value in the startup error.
  OIDC_CLIENT_SECRET: z.string().optional(),
  OIDC_ALLOWED_DOMAINS: z
    .string()
    .transform(list)
    .refine((ds) => ds.every((d) => DOMAIN.test(d)), {
      message: 'expected a comma-separated list of email domains like example.com,example.org',
    })
    .optional(),
  OIDC_DEFAULT_ROLE: z
    .enum([...ROLES, 'none'], { message: 'expected admin, author, reviewer or none' })
    .default('reviewer'),
  OIDC_GROUPS_CLAIM: z.string().min(1).max(200).default('groups'),
  OIDC_ROLE_MAP: z
    .string()
    .transform((v, ctx) => {
      const map: Array<{ group: string; role: Role }> = [];
      for (const pair of v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const i = pair.lastIndexOf('=');
        const group = pair.slice(0, i).trim();
        const role = pair.slice(i + 1).trim() as Role;
        if (i <= 0 || !group || !ROLES.includes(role)) {
          ctx.addIssue({
            code: 'custom',
            message: `"${pair}": expected group=role pairs (role admin, author or reviewer), e.g. hiring-admins=admin,eng=reviewer`,
          });
          return z.NEVER;
        }
        map.push({ group, role });
      }
      return map;
    })
    .optional(),
  OIDC_SCOPES: z
    .string()
    .transform((v) => v.split(/[\s,]+/).filter(Boolean))
    .refine((s) => s.includes('openid'), { message: 'expected a scope list that includes openid' })
    .optional(),
  LOCAL_PASSWORDS: z.enum(['on', 'off'], { message: 'expected on or off' }).default('on'),
  LOCAL_PASSWORD_BREAK_GLASS: z
    .string()
    .transform(list)
    .refine((es) => es.every((e) => /^[^@\s]+@[^@\s]+$/.test(e)), {
      message: 'expected a comma-separated list of staff emails',
    })
    .optional(),
};

const oidcEnvSchema = z.object(oidcEnvShape);
type OidcEnv = z.output<typeof oidcEnvSchema>;

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Lower-case email domains whose verified addresses may sign in. */
  allowedDomains: string[];
  /** Role of a new user whose groups map to no role; `none` refuses them. */
  defaultRole: Role | 'none';
  groupsClaim: string;
  /** Group → role; when non-empty the role is set from the groups at every sign-in. */
  roleMap: Array<{ group: string; role: Role }>;
  scopes: string[];
  /** The redirect URI registered at the provider: PUBLIC_URL + /api/auth/sso/callback. */
  redirectUri: string;
}

export interface StaffAuthConfig {
  /** Set when OIDC_ISSUER is; undefined: no SSO. */
  oidc: OidcConfig | undefined;
  /** `false` (LOCAL_PASSWORDS=off): only the break-glass emails may sign in with a password. */
  localPasswords: boolean;
  /** Emails that keep password sign-in when local passwords are off (IdP outage, first admin). */
  breakGlass: string[];
}

/** Cross-field checks and the typed result; returns problems instead of throwing. */
export function staffAuthConfig(e: OidcEnv, publicUrl: string): StaffAuthConfig | string[] {
  const problems: string[] = [];
  const anyOidc = e.OIDC_ISSUER || e.OIDC_CLIENT_ID || e.OIDC_CLIENT_SECRET || e.OIDC_ALLOWED_DOMAINS;
  if (anyOidc) {
    if (!e.OIDC_ISSUER) problems.push('OIDC_ISSUER: required when any OIDC_* variable is set');
    if (!e.OIDC_CLIENT_ID) problems.push('OIDC_CLIENT_ID: required when OIDC_ISSUER is set');
    if (!e.OIDC_CLIENT_SECRET) problems.push('OIDC_CLIENT_SECRET: required when OIDC_ISSUER is set');
    if (!e.OIDC_ALLOWED_DOMAINS?.length)
      problems.push(
        'OIDC_ALLOWED_DOMAINS: required when OIDC_ISSUER is set (the email domains that may sign in, e.g. example.com)',
      );
  }
  if (e.LOCAL_PASSWORDS === 'off' && !anyOidc)
    problems.push('LOCAL_PASSWORDS=off: needs OIDC_ISSUER (otherwise nobody could sign in)');
  if (problems.length) return problems;
  return {
    oidc: anyOidc
      ? {
          issuer: e.OIDC_ISSUER!,
          clientId: e.OIDC_CLIENT_ID!,
          clientSecret: e.OIDC_CLIENT_SECRET!,
          allowedDomains: e.OIDC_ALLOWED_DOMAINS!,
          defaultRole: e.OIDC_DEFAULT_ROLE,
          groupsClaim: e.OIDC_GROUPS_CLAIM,
          roleMap: e.OIDC_ROLE_MAP ?? [],
          scopes: e.OIDC_SCOPES ?? ['openid', 'email', 'profile'],
          redirectUri: `${publicUrl}/api/auth/sso/callback`,
        }
      : undefined,
    localPasswords: e.LOCAL_PASSWORDS === 'on',
    breakGlass: e.LOCAL_PASSWORD_BREAK_GLASS ?? [],
  };
}
