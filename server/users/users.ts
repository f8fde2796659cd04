/** Staff users: create, authenticate, list. */
import { z } from 'zod';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { dummyHash, hashPassword, passwordProblem, verifyPassword } from '../auth/index.ts';
import type { StaffUser } from '../auth/index.ts';

export const roles = ['admin', 'author', 'reviewer'] as const;
export type Role = (typeof roles)[number];

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, { message: 'email is too long' })
  .pipe(z.email({ message: 'expected an email address like jane@example.com' }));

export async function createUser(
  ctx: ServiceContext,
  input: { email: string; name?: string; role: Role; password: string },
): Promise<StaffUser> {
  const email = emailSchema.safeParse(input.email);
  if (!email.success) throw new AppError('validation_failed', `email: ${email.error.issues[0]?.message}`);
  if (!roles.includes(input.role))
    throw new AppError('validation_failed', `role: expected one of ${roles.join(', ')}`);
  const problem = passwordProblem(input.password);
  if (problem) throw new AppError('validation_failed', problem);
  const existing = await ctx.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', email.data)
    .executeTakeFirst();
  if (existing) throw new AppError('conflict', `a user with email ${email.data} already exists`);
  const user: StaffUser = {
    id: ctx.ids.id('usr'),
    email: email.data,
    name: input.name?.trim() || email.data.split('@')[0]!,
    role: input.role,
  };
  await ctx.db
    .insertInto('users')
    .values({
      ...user,
      password_hash: await hashPassword(input.password),
      created_at: ctx.clock.now(),
      disabled: 0,
    })
    .execute();
  return user;
}

/** Checks credentials. Unknown emails cost the same time as wrong passwords. */
export async function authenticate(
  ctx: ServiceContext,
  email: string,
  password: string,
): Promise<StaffUser | undefined> {
  const row = await ctx.db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'role', 'password_hash', 'disabled', 'state'])
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
  // Invited accounts have no password yet, accounts created by SSO none at all: both are checked
  // against the dummy too, so timing tells nothing.
  const hash =
    row?.state === 'active' && row.password_hash.startsWith('scrypt$') ? row.password_hash : dummyHash;
  const ok = await verifyPassword(password, hash);
  if (!row || !ok || row.disabled || hash === dummyHash) return undefined;
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}

export async function listUsers(ctx: ServiceContext): Promise<StaffUser[]> {
  return ctx.db.selectFrom('users').select(['id', 'email', 'name', 'role']).orderBy('email').execute();
}

export async function countUsers(ctx: ServiceContext): Promise<number> {
  const row = await ctx.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
