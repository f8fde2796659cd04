/**
 * Set-password links (staff invites and password resets) and changing one's own password. Stops
 * account takeover through the reset path: a link is 256 random bits, only its sha256 is stored,
 * it works once (claimed with a conditional update), expires, is bound to one user, dies when a
 * newer one is issued, and a deactivated user's link does nothing. Setting a password ends every
 * session of the account (a reset after a stolen password locks the thief out); changing one's own
 * ends every other session. A reset request answers the same whether or not the email exists.
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { Db, PasswordTokensTable } from '../db/index.ts';
import { hashPassword, hashSecret, passwordProblem, verifyPassword } from '../auth/index.ts';
import { formatEmailTime } from '../email/index.ts';

export const INVITE_TOKEN_MS = 7 * 86_400_000;
export const RESET_TOKEN_MS = 3600_000;

/**
 * A new link for `userId`; earlier unused links of the user stop working. The token travels in the
 * URL fragment, which browsers never send to the server, so it stays out of access logs and proxies.
 */
export async function issuePasswordToken(
  ctx: ServiceContext,
  db: Db,
  userId: string,
  purpose: PasswordTokensTable['purpose'],
  ttlMs: number,
): Promise<{ url: string; expiresAtText: string }> {
  const token = ctx.ids.secret();
  const now = ctx.clock.now();
  await db.deleteFrom('password_tokens').where('user_id', '=', userId).where('used_at', 'is', null).execute();
  await db
    .insertInto('password_tokens')
    .values({
      token_hash: hashSecret(token),
      user_id: userId,
      purpose,
      created_at: now,
      expires_at: now + ttlMs,
      used_at: null,
    })
    .execute();
  return {
    url: `${ctx.config.publicUrl}/login/set-password#token=${token}`,
    expiresAtText: formatEmailTime(now + ttlMs),
  };
}

const INVALID = 'this link is not valid or was already used; ask for a new one';

async function liveToken(ctx: ServiceContext, db: Db, token: string) {
  if (typeof token !== 'string' || token.length < 20 || token.length > 200)
    throw new AppError('not_found', INVALID);
  const row = await db
    .selectFrom('password_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select([
      't.token_hash',
      't.user_id',
      't.purpose',
      't.expires_at',
      't.used_at',
      'u.email',
      'u.name',
      'u.disabled',
    ])
    .where('t.token_hash', '=', hashSecret(token))
    .executeTakeFirst();
  if (!row || row.used_at !== null || row.disabled) throw new AppError('not_found', INVALID);
  if (row.expires_at <= ctx.clock.now())
    throw new AppError('invitation_expired', 'this link has expired; ask for a new one');
  return row;
}

/** Who a link is for (the set-password page shows it), without using it. */
export async function checkPasswordToken(ctx: ServiceContext, token: string) {
  const row = await liveToken(ctx, ctx.db, token);
  return { email: row.email, name: row.name, purpose: row.purpose };
}

/** Uses a link: sets the password, activates an invited account, ends every session of the user. */
export async function setPasswordWithToken(
  ctx: ServiceContext,
  token: string,
  password: string,
): Promise<{ email: string }> {
  const problem = passwordProblem(password);
  if (problem) throw new AppError('validation_failed', problem);
  await liveToken(ctx, ctx.db, token); // fail fast before the slow hash
  const hash = await hashPassword(password);
  return ctx.db.transaction().execute(async (trx) => {
    const row = await liveToken(ctx, trx, token);
    const claimed = await trx
      .updateTable('password_tokens')
      .set({ used_at: ctx.clock.now() })
      .where('token_hash', '=', row.token_hash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    // Two uses racing: only one claims the link.
    if (Number(claimed.numUpdatedRows) !== 1) throw new AppError('not_found', INVALID);
    await trx
      .updateTable('users')
      .set({ password_hash: hash, state: 'active' })
      .where('id', '=', row.user_id)
      .where('disabled', '=', 0)
      .execute();
    await trx.deleteFrom('sessions').where('user_id', '=', row.user_id).execute();
    await trx
      .deleteFrom('password_tokens')
      .where('user_id', '=', row.user_id)
      .where('used_at', 'is', null)
      .execute();
    return { email: row.email };
  });
}

/**
 * A reset link by email for an account that exists and is not deactivated; nothing otherwise. The
 * caller answers the same either way (no account enumeration) and throttles requests.
 */
export async function requestPasswordReset(ctx: ServiceContext, email: string): Promise<void> {
  const user = await ctx.db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'disabled'])
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
  if (!user || user.disabled || !ctx.mail?.enabled) return;
  const mail = ctx.mail;
  await ctx.db.transaction().execute(async (trx) => {
    const link = await issuePasswordToken(ctx, trx, user.id, 'reset', RESET_TOKEN_MS);
    await mail.enqueue(trx, {
      kind: 'password_reset',
      to: user.email,
      userId: user.id,
      values: { name: user.name, link: link.url, expiresAt: link.expiresAtText },
    });
  });
  mail.kick();
}

/**
 * An admin's reset for a user: emailed when SMTP is set, else the link is returned for the admin to
 * pass on (the account keeps its password until the link is used).
 */
export async function adminResetLink(
  ctx: ServiceContext,
  userId: string,
): Promise<{ link: string | null; emailed: boolean }> {
  const user = await ctx.db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'disabled', 'state'])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!user) throw new AppError('not_found', 'staff user not found');
  if (user.disabled) throw new AppError('conflict', 'reactivate the user first');
  const mail = ctx.mail?.enabled ? ctx.mail : undefined;
  const purpose = user.state === 'invited' ? 'invite' : 'reset';
  const ttl = purpose === 'invite' ? INVITE_TOKEN_MS : RESET_TOKEN_MS;
  const out = await ctx.db.transaction().execute(async (trx) => {
    const link = await issuePasswordToken(ctx, trx, user.id, purpose, ttl);
    const emailed = mail
      ? await mail.enqueue(trx, {
          kind: purpose === 'invite' ? 'staff_invite' : 'password_reset',
          to: user.email,
          userId: user.id,
          values: {
            name: user.name,
            role: 'staff',
            invitedBy: 'An admin',
            link: link.url,
            expiresAt: link.expiresAtText,
          },
        })
      : false;
    return { link: link.url, emailed };
  });
  if (out.emailed) mail?.kick();
  return { link: out.emailed ? null : out.link, emailed: out.emailed };
}

/** Changes the signed-in user's password; every other session of theirs ends. */
export async function changeOwnPassword(
  ctx: ServiceContext,
  input: { userId: string; currentPassword: string; newPassword: string; keepSessionHash: string },
): Promise<void> {
  const row = await ctx.db
    .selectFrom('users')
    .select('password_hash')
    .where('id', '=', input.userId)
    .executeTakeFirstOrThrow();
  if (!(await verifyPassword(input.currentPassword, row.password_hash)))
    throw new AppError('forbidden', 'the current password is wrong');
  const problem = passwordProblem(input.newPassword);
  if (problem) throw new AppError('validation_failed', problem);
  const hash = await hashPassword(input.newPassword);
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: hash }).where('id', '=', input.userId).execute();
    await trx
      .deleteFrom('sessions')
      .where('user_id', '=', input.userId)
      .where('id_hash', '!=', input.keepSessionHash)
      .execute();
  });
}
