/**
 * Server-side sessions. Stops session theft from the database: only sha256(cookie value) is stored.
 * Each session carries a CSRF token that cookie-authenticated mutations must echo in a header.
 */
import { createHash } from 'node:crypto';
import type { ServiceContext } from '../platform/index.ts';
import type { SessionsTable, UsersTable } from '../db/index.ts';

export const STAFF_SESSION_MS = 12 * 3600_000;
export const CANDIDATE_SESSION_MS = 7 * 24 * 3600_000;

export const hashSecret = (value: string) => createHash('sha256').update(value).digest('hex');

export interface NewSession {
  cookieValue: string;
  csrfToken: string;
  expiresAt: number;
}

export async function createSession(
  ctx: ServiceContext,
  input: { kind: 'staff'; userId: string } | { kind: 'candidate'; invitationId: string },
): Promise<NewSession> {
  const cookieValue = ctx.ids.secret();
  const csrfToken = ctx.ids.secret();
  const now = ctx.clock.now();
  const expiresAt = now + (input.kind === 'staff' ? STAFF_SESSION_MS : CANDIDATE_SESSION_MS);
  await ctx.db
    .insertInto('sessions')
    .values({
      id_hash: hashSecret(cookieValue),
      kind: input.kind,
      user_id: input.kind === 'staff' ? input.userId : null,
      invitation_id: input.kind === 'candidate' ? input.invitationId : null,
      csrf_token: csrfToken,
      created_at: now,
      expires_at: expiresAt,
    })
    .execute();
  return { cookieValue, csrfToken, expiresAt };
}

export type StaffUser = Pick<UsersTable, 'id' | 'email' | 'name' | 'role'>;

/** Who a cookie session belongs to. */
export type SessionPrincipal =
  | { kind: 'staff'; session: SessionsTable; user: StaffUser }
  | { kind: 'candidate'; session: SessionsTable; invitationId: string };

/** Who is asking: a session's owner, or an API token acting as staff (no session; server/api-tokens/). */
export type Principal = SessionPrincipal | { kind: 'staff'; session?: undefined; user: StaffUser };

/** Resolves a cookie value to a live session; expired sessions and disabled users resolve to nothing. */
export async function findSession(
  ctx: ServiceContext,
  cookieValue: string,
): Promise<SessionPrincipal | undefined> {
  const session = await ctx.db
    .selectFrom('sessions')
    .selectAll()
    .where('id_hash', '=', hashSecret(cookieValue))
    .executeTakeFirst();
  if (!session || session.expires_at <= ctx.clock.now()) return undefined;
  if (session.kind === 'candidate' && session.invitation_id) {
    return { kind: 'candidate', session, invitationId: session.invitation_id };
  }
  if (session.kind === 'staff' && session.user_id) {
    const user = await ctx.db
      .selectFrom('users')
      .select(['id', 'email', 'name', 'role'])
      .where('id', '=', session.user_id)
      .where('disabled', '=', 0)
      .executeTakeFirst();
    if (user) return { kind: 'staff', session, user };
  }
  return undefined;
}

export async function deleteSession(ctx: ServiceContext, cookieValue: string): Promise<void> {
  await ctx.db.deleteFrom('sessions').where('id_hash', '=', hashSecret(cookieValue)).execute();
}

export async function deleteExpiredSessions(ctx: ServiceContext): Promise<void> {
  await ctx.db.deleteFrom('sessions').where('expires_at', '<=', ctx.clock.now()).execute();
}
