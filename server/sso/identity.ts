/**
 * From verified ID-token claims to a staff account. Stops account takeover and privilege drift through
 * SSO: only a provider-verified email in an allowed domain is trusted; an account is linked by email
 * once and then found by issuer + `sub` (a changed email at the provider cannot move a person onto
 * another account, and an account already linked to one identity is never re-linked to another);
 * deactivated accounts stay out; with a group → role map the role follows the provider's groups at
 * every sign-in, so removing someone from a group at the provider takes the role away.
 */
import type { OidcConfig } from '../config/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { isUniqueViolation } from '../db/index.ts';
import type { StaffUser } from '../auth/index.ts';
import { emailSchema, type Role } from '../users/index.ts';
import type { VerifiedClaims } from './client.ts';

/** Marks an account without a password (created by SSO); never a valid scrypt hash. */
export const NO_PASSWORD = '!sso';

export type IdentityFailure = 'email' | 'unverified' | 'domain' | 'disabled' | 'linked' | 'no_role';

export interface Identity {
  issuer: string;
  subject: string;
  email: string;
  name: string;
  groups: string[];
}

/** The identity in the claims, or why it may not sign in. */
export function identityFrom(
  claims: VerifiedClaims,
  cfg: OidcConfig,
): { ok: true; identity: Identity } | { ok: false; reason: IdentityFailure; detail: string } {
  const email = emailSchema.safeParse(claims.email);
  if (!email.success)
    return { ok: false, reason: 'email', detail: 'the provider sent no usable email claim' };
  // Some providers send the boolean as a string.
  if (claims.email_verified !== true && claims.email_verified !== 'true')
    return { ok: false, reason: 'unverified', detail: `${email.data} is not verified at the provider` };
  const domain = email.data.slice(email.data.lastIndexOf('@') + 1);
  if (!cfg.allowedDomains.includes(domain))
    return { ok: false, reason: 'domain', detail: `${domain} is not in OIDC_ALLOWED_DOMAINS` };
  const raw = claims[cfg.groupsClaim];
  const groups = (Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : []).filter(
    (g): g is string => typeof g === 'string',
  );
  const given = [claims.given_name, claims.family_name].filter((s) => typeof s === 'string').join(' ');
  const name =
    (typeof claims.name === 'string' && claims.name.trim()) || given.trim() || email.data.split('@')[0]!;
  return {
    ok: true,
    identity: {
      issuer: claims.iss,
      subject: claims.sub,
      email: email.data,
      name: name.slice(0, 200),
      groups,
    },
  };
}

const RANK: Record<Role, number> = { reviewer: 1, author: 2, admin: 3 };

/** The highest role any of the groups maps to; undefined when none does (or there is no map). */
export function roleFromGroups(groups: string[], cfg: OidcConfig): Role | undefined {
  let best: Role | undefined;
  for (const { group, role } of cfg.roleMap)
    if (groups.includes(group) && (!best || RANK[role] > RANK[best])) best = role;
  return best;
}

type Row = StaffUser & { disabled: number; oidc_subject: string | null };
const COLUMNS = ['id', 'email', 'name', 'role', 'disabled', 'oidc_subject'] as const;

/**
 * Finds the identity's account (by issuer + sub, else by email, which then gets linked), or creates
 * one just in time; sets the role from the groups when a role map is configured.
 */
export async function accountFor(
  ctx: ServiceContext,
  cfg: OidcConfig,
  identity: Identity,
  /** Set on the second look after losing a just-in-time creation race (no third). */
  raced = false,
): Promise<
  { ok: true; user: StaffUser; created: boolean } | { ok: false; reason: IdentityFailure; detail: string }
> {
  const users = () => ctx.db.selectFrom('users').select(COLUMNS);
  let row: Row | undefined = await users()
    .where('oidc_issuer', '=', identity.issuer)
    .where('oidc_subject', '=', identity.subject)
    .executeTakeFirst();
  let linking = false;
  if (!row) {
    row = await users().where('email', '=', identity.email).executeTakeFirst();
    if (row?.oidc_subject)
      return {
        ok: false,
        reason: 'linked',
        detail: `${identity.email} is already linked to another single sign-on identity`,
      };
    linking = !!row;
  }
  if (row?.disabled) return { ok: false, reason: 'disabled', detail: `${row.email} is deactivated` };

  const mapped = roleFromGroups(identity.groups, cfg);
  const fallback = cfg.defaultRole === 'none' ? undefined : cfg.defaultRole;
  // With a role map the provider's groups decide at every sign-in; without one, only a new account's role.
  const role = cfg.roleMap.length || !row ? (mapped ?? fallback) : row.role;
  if (!role)
    return { ok: false, reason: 'no_role', detail: `none of ${identity.email}'s groups maps to a role` };

  if (row) {
    const update = ctx.db.updateTable('users').set({ role }).where('id', '=', row.id);
    if (linking) {
      // Conditional: two first sign-ins racing cannot both link the account.
      const linked = await update
        .set({ oidc_issuer: identity.issuer, oidc_subject: identity.subject })
        .where('oidc_subject', 'is', null)
        .executeTakeFirst();
      if (Number(linked.numUpdatedRows) !== 1)
        return { ok: false, reason: 'linked', detail: `${identity.email} was linked meanwhile` };
      ctx.logger.info(
        { userId: row.id, issuer: identity.issuer },
        'sso: linked an existing account by email',
      );
    } else if (role !== row.role) {
      await update.execute();
    }
    if (role !== row.role)
      ctx.logger.info({ userId: row.id, from: row.role, to: role }, 'sso: role from groups');
    return { ok: true, user: { id: row.id, email: row.email, name: row.name, role }, created: false };
  }

  const user: StaffUser = { id: ctx.ids.id('usr'), email: identity.email, name: identity.name, role };
  try {
    await ctx.db
      .insertInto('users')
      .values({
        ...user,
        password_hash: NO_PASSWORD,
        created_at: ctx.clock.now(),
        disabled: 0,
        oidc_issuer: identity.issuer,
        oidc_subject: identity.subject,
      })
      .execute();
  } catch (err) {
    // Two first sign-ins of one person at once (two tabs, a double click): the other one created the
    // account between our look and our insert. Look again: it is theirs and ours.
    if (!raced && isUniqueViolation(err)) return accountFor(ctx, cfg, identity, true);
    throw err;
  }
  ctx.logger.info({ userId: user.id, role }, 'sso: created an account just in time');
  return { ok: true, user, created: true };
}
