/**
 * API tokens for automation (an ATS, scripts). Stops a database leak from handing out working
 * credentials (only sha256 of the secret is stored), secret-guessing by timing (the secret's digest is
 * compared with timingSafeEqual after a lookup by the token's public id), leaked tokens going unnoticed
 * (the `wst_` prefix lets secret scanners find them), and tokens outliving their purpose (expiry,
 * revocation, and a token stops working when the admin who made it is disabled).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { ApiTokensTable } from '../db/index.ts';
import type { StaffUser } from '../auth/index.ts';
const DAY_MS = 86_400_000;
import { isScope, SCOPES, type Scope } from './scopes.ts';

/** `wst_<public id>_<secret>`: the id finds the row, the 43-character secret proves possession. */
export const TOKEN_PATTERN = /^wst_([a-z0-9]{6,32})_([A-Za-z0-9_-]{43})$/;
/** How often last_used_at is written at most (one write per token per minute, not per request). */
export const LAST_USED_RESOLUTION_MS = 60_000;

const digest = (secret: string) => createHash('sha256').update(secret).digest();
/** Compared against when the id is unknown, so a miss costs the same work as a wrong secret. */
const DUMMY = digest('worksample: no such token');

/** A verified token: acts as its own principal with only its scopes. */
export interface ApiTokenActor {
  id: string;
  name: string;
  scopes: Scope[];
  createdBy: string;
  /**
   * How the token appears to services that take a staff user: its own id (invitations it creates name
   * it), never an admin. Author is the least role every scoped route's handler accepts; what the token
   * may do is decided by its scopes before any handler runs (server/http/route-access.ts).
   */
  user: StaffUser;
}

export type VerifyResult =
  | { ok: true; token: ApiTokenActor }
  | { ok: false; reason: 'malformed' | 'invalid' | 'expired' | 'revoked' | 'insufficient_scope' };

export interface ApiTokenView {
  id: string;
  name: string;
  scopes: Scope[];
  /** What the token starts with (its public part), to recognise it; never the secret. */
  prefix: string;
  createdBy: { id: string; name: string };
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
  status: 'active' | 'expired' | 'revoked';
}

export const newTokenSchema = z.object({
  name: z.string().trim().min(1, { message: 'name is required' }).max(100, { message: 'name is too long' }),
  scopes: z
    .array(z.enum(SCOPES))
    .min(1, { message: 'choose at least one scope' })
    .refine((s) => new Set(s).size === s.length, { message: 'a scope is listed twice' }),
  /** null or absent: never expires. */
  expiresInDays: z.number().int().positive().max(3650).nullable().optional(),
});
export type NewToken = z.infer<typeof newTokenSchema>;

const publicIdOf = (id: string) => id.replace(/^tok_/, '');
const prefixOf = (id: string) => `wst_${publicIdOf(id)}_`;

/** Makes a token; the returned secret is the only copy (the caller shows it once). */
export async function createApiToken(
  ctx: ServiceContext,
  raw: NewToken,
  admin: StaffUser,
): Promise<{ token: ApiTokenView; secret: string }> {
  const parsed = newTokenSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new AppError('validation_failed', `${i.path.join('.') || 'token'}: ${i.message}`);
  }
  const input = parsed.data;
  const id = ctx.ids.id('tok');
  if (!/^tok_[a-z0-9]{6,32}$/.test(id)) throw new Error(`token id ${id} does not fit the token format`);
  const secret = ctx.ids.secret();
  const now = ctx.clock.now();
  await ctx.db
    .insertInto('api_tokens')
    .values({
      id,
      name: input.name,
      secret_hash: digest(secret).toString('hex'),
      scopes_json: JSON.stringify(input.scopes),
      created_by: admin.id,
      created_at: now,
      expires_at: input.expiresInDays ? now + input.expiresInDays * DAY_MS : null,
      last_used_at: null,
      revoked_at: null,
      revoked_by: null,
    })
    .execute();
  const [token] = await listApiTokens(ctx, id);
  return { token: token!, secret: `${prefixOf(id)}${secret}` };
}

/** Every token (or one), newest first; the secret is not stored, so it cannot be listed. */
export async function listApiTokens(ctx: ServiceContext, id?: string): Promise<ApiTokenView[]> {
  let q = ctx.db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.created_by')
    .select([
      't.id',
      't.name',
      't.scopes_json',
      't.created_by',
      't.created_at',
      't.expires_at',
      't.last_used_at',
      't.revoked_at',
      'u.name as creator_name',
    ])
    .orderBy('t.created_at', 'desc')
    .orderBy('t.id');
  if (id) q = q.where('t.id', '=', id);
  const now = ctx.clock.now();
  return (await q.execute()).map((r) => ({
    id: r.id,
    name: r.name,
    scopes: scopesOf(r.scopes_json),
    prefix: prefixOf(r.id),
    createdBy: { id: r.created_by, name: r.creator_name },
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
    status:
      r.revoked_at !== null ? 'revoked' : r.expires_at !== null && r.expires_at <= now ? 'expired' : 'active',
  }));
}

/** Revokes a token at once (the next request with it is refused); revoking twice is harmless. */
export async function revokeApiToken(
  ctx: ServiceContext,
  id: string,
  admin: StaffUser,
): Promise<ApiTokenView> {
  await ctx.db
    .updateTable('api_tokens')
    .set({ revoked_at: ctx.clock.now(), revoked_by: admin.id })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
  const [token] = await listApiTokens(ctx, id);
  if (!token) throw new AppError('not_found', 'API token not found');
  return token;
}

/**
 * Checks a raw token (from `Authorization: Bearer`, or Greenhouse's Basic-auth username) and, when
 * `scope` is given, that the token holds it. Expired and revoked are told apart only once the secret
 * matched. Records last use at most once a minute.
 */
export async function verifyApiToken(ctx: ServiceContext, raw: string, scope?: Scope): Promise<VerifyResult> {
  const m = TOKEN_PATTERN.exec(raw);
  if (!m) return { ok: false, reason: 'malformed' };
  const row = await ctx.db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.created_by')
    .select([
      't.id',
      't.name',
      't.secret_hash',
      't.scopes_json',
      't.created_by',
      't.expires_at',
      't.last_used_at',
      't.revoked_at',
      'u.disabled',
      'u.role',
    ])
    .where('t.id', '=', `tok_${m[1]}`)
    .executeTakeFirst();
  if (!secretMatches(m[2]!, row) || !row) return { ok: false, reason: 'invalid' };
  // A disabled creator's tokens stop with their account, like their sessions; and only admins make
  // tokens, so a creator who is no longer an admin no longer vouches for theirs.
  if (row.disabled || row.role !== 'admin') return { ok: false, reason: 'invalid' };
  if (row.revoked_at !== null) return { ok: false, reason: 'revoked' };
  const now = ctx.clock.now();
  if (row.expires_at !== null && row.expires_at <= now) return { ok: false, reason: 'expired' };
  const scopes = scopesOf(row.scopes_json);
  if (scope && !scopes.includes(scope)) return { ok: false, reason: 'insufficient_scope' };
  if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_RESOLUTION_MS) {
    await ctx.db
      .updateTable('api_tokens')
      .set({ last_used_at: now })
      .where('id', '=', row.id)
      .where((eb) =>
        eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - LAST_USED_RESOLUTION_MS)]),
      )
      .execute();
  }
  return {
    ok: true,
    token: {
      id: row.id,
      name: row.name,
      scopes,
      createdBy: row.created_by,
      user: { id: row.id, email: '', name: `API token ${row.name}`, role: 'author' },
    },
  };
}

/** Constant-time comparison of the presented secret's digest with the stored one (or a dummy). */
function secretMatches(secret: string, row: Pick<ApiTokensTable, 'secret_hash'> | undefined): boolean {
  const stored = row ? Buffer.from(row.secret_hash, 'hex') : DUMMY;
  const presented = digest(secret);
  const same = stored.length === presented.length && timingSafeEqual(stored, presented);
  return same && row !== undefined;
}

function scopesOf(json: string): Scope[] {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? parsed.filter((s): s is Scope => typeof s === 'string' && isScope(s)) : [];
}
