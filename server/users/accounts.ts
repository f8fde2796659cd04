/**
 * Managing staff accounts (admins): invite by email, change role, deactivate and reactivate. Stops two
 * takeovers of a lockout kind: the last active admin cannot be demoted or deactivated (nobody could
 * manage accounts again), and a deactivated user's sessions end at once, not when their cookie expires.
 */
import { PostgresAdapter } from 'kysely';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { Db } from '../db/index.ts';
import { emailSchema, roles, type Role } from './users.ts';
import { issuePasswordToken, INVITE_TOKEN_MS } from './passwords.ts';

export interface StaffAccount {
  id: string;
  email: string;
  name: string;
  role: Role;
  status: 'invited' | 'active' | 'deactivated';
  createdAt: number;
}

/** Every staff account with its status, for the Staff page. */
export async function listAccounts(ctx: ServiceContext, id?: string): Promise<StaffAccount[]> {
  let q = ctx.db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'role', 'state', 'disabled', 'created_at']);
  if (id) q = q.where('id', '=', id);
  const rows = await q.orderBy('email').execute();
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    status: r.disabled ? 'deactivated' : r.state === 'invited' ? 'invited' : 'active',
    createdAt: r.created_at,
  }));
}

async function account(ctx: ServiceContext, id: string): Promise<StaffAccount> {
  const [a] = await listAccounts(ctx, id);
  if (!a) throw new AppError('not_found', 'staff user not found');
  return a;
}

/**
 * Creates an account in the invited state (no password: it cannot sign in) and emails a single-use
 * set-password link. Without SMTP the link is returned for the admin to pass on.
 */
export async function inviteStaff(
  ctx: ServiceContext,
  input: { email: string; name?: string | undefined; role: Role },
  by: { id: string; name: string },
): Promise<{ user: StaffAccount; link: string | null; emailed: boolean }> {
  const email = emailSchema.safeParse(input.email);
  if (!email.success) throw new AppError('validation_failed', `email: ${email.error.issues[0]?.message}`);
  if (!roles.includes(input.role))
    throw new AppError('validation_failed', `role: expected one of ${roles.join(', ')}`);
  const existing = await ctx.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', email.data)
    .executeTakeFirst();
  if (existing) throw new AppError('conflict', `a user with email ${email.data} already exists`);
  const id = ctx.ids.id('usr');
  const name = input.name?.trim() || email.data.split('@')[0]!;
  const result = await ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('users')
      .values({
        id,
        email: email.data,
        name,
        role: input.role,
        // Not a scrypt hash: no password matches it (see auth/password.ts verifyPassword).
        password_hash: '!invited',
        created_at: ctx.clock.now(),
        disabled: 0,
        state: 'invited',
      })
      .execute();
    const link = await issuePasswordToken(ctx, trx, id, 'invite', INVITE_TOKEN_MS);
    const emailed = ctx.mail?.enabled
      ? await ctx.mail.enqueue(trx, {
          kind: 'staff_invite',
          to: email.data,
          userId: id,
          values: {
            name,
            role: input.role,
            invitedBy: by.name,
            link: link.url,
            expiresAt: link.expiresAtText,
          },
        })
      : false;
    return { link: link.url, emailed };
  });
  if (result.emailed) ctx.mail?.kick();
  // The link goes back only when nobody emailed it: the admin must pass it on by hand.
  return { user: await account(ctx, id), link: result.emailed ? null : result.link, emailed: result.emailed };
}

/** Locks the active admins (Postgres) and says whether another than `exceptId` remains. */
async function anotherActiveAdmin(trx: Db, exceptId: string): Promise<boolean> {
  let q = trx
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabled', '=', 0)
    .where('state', '=', 'active')
    // One lock order for every caller, so two guards never deadlock on each other's rows.
    .orderBy('id');
  // Two admins demoting each other at once must not both succeed: the rows are locked until commit
  // (SQLite serialises write transactions already).
  if (trx.getExecutor().adapter instanceof PostgresAdapter) q = q.forUpdate();
  const admins = await q.execute();
  return admins.some((a) => a.id !== exceptId);
}

async function changeGuarded(
  ctx: ServiceContext,
  id: string,
  set: { role?: Role; disabled?: number },
  what: string,
): Promise<StaffAccount> {
  const before = await account(ctx, id);
  await ctx.db.transaction().execute(async (trx) => {
    const losesAdmin =
      before.role === 'admin' &&
      before.status === 'active' &&
      ((set.role !== undefined && set.role !== 'admin') || set.disabled === 1);
    if (losesAdmin && !(await anotherActiveAdmin(trx, id)))
      throw new AppError('conflict', `cannot ${what} the last active admin; make someone else admin first`);
    await trx.updateTable('users').set(set).where('id', '=', id).execute();
    // Deactivation ends every session now (a stolen or forgotten cookie stops working too).
    if (set.disabled === 1) await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
  });
  return account(ctx, id);
}

export async function changeRole(ctx: ServiceContext, id: string, role: Role): Promise<StaffAccount> {
  if (!roles.includes(role))
    throw new AppError('validation_failed', `role: expected one of ${roles.join(', ')}`);
  return changeGuarded(ctx, id, { role }, 'demote');
}

export async function deactivateUser(ctx: ServiceContext, id: string): Promise<StaffAccount> {
  return changeGuarded(ctx, id, { disabled: 1 }, 'deactivate');
}

export async function reactivateUser(ctx: ServiceContext, id: string): Promise<StaffAccount> {
  return changeGuarded(ctx, id, { disabled: 0 }, 'reactivate');
}
