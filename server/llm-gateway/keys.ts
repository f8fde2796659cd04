/**
 * Gateway keys: the only credential a sandbox sees. Stops key reuse across attempts and after
 * submit: a key is bound to one attempt, stored only as sha256, and revoked at submit/expiry; the
 * raw key is kept in this process's memory to hand to the attempt's runs (after a restart a fresh
 * key is issued and the old ones are revoked; on Postgres, where replicas share the database, each
 * holds its own and none is revoked before submit).
 */
import type { ServiceContext } from '../platform/index.ts';
import { hashSecret } from '../auth/index.ts';
import type { AttemptsTable, GatewayKeysTable } from '../db/index.ts';

export const KEY_PREFIX = 'wsk-';

export async function issueKey(
  ctx: ServiceContext,
  attemptId: string,
  purpose: GatewayKeysTable['purpose'],
): Promise<{ id: string; key: string }> {
  const key = `${KEY_PREFIX}${ctx.ids.secret()}`;
  const id = ctx.ids.id('gk');
  await ctx.db
    .insertInto('gateway_keys')
    .values({
      id,
      key_hash: hashSecret(key),
      attempt_id: attemptId,
      purpose,
      created_at: ctx.clock.now(),
      revoked_at: null,
    })
    .execute();
  return { id, key };
}

export async function revokeKeys(
  ctx: ServiceContext,
  attemptId: string,
  purpose?: GatewayKeysTable['purpose'],
): Promise<void> {
  let q = ctx.db
    .updateTable('gateway_keys')
    .set({ revoked_at: ctx.clock.now() })
    .where('attempt_id', '=', attemptId)
    .where('revoked_at', 'is', null);
  if (purpose) q = q.where('purpose', '=', purpose);
  await q.execute();
}

export async function revokeKey(ctx: ServiceContext, keyId: string): Promise<void> {
  await ctx.db
    .updateTable('gateway_keys')
    .set({ revoked_at: ctx.clock.now() })
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .execute();
}

export type KeyCheck =
  | { ok: true; key: GatewayKeysTable; attempt: AttemptsTable }
  | { ok: false; reason: 'missing' | 'unknown' | 'revoked' | 'closed' };

/** Resolves a bearer token to its live key and attempt. */
export async function checkKey(ctx: ServiceContext, token: string | undefined): Promise<KeyCheck> {
  if (!token) return { ok: false, reason: 'missing' };
  if (!token.startsWith(KEY_PREFIX) || token.length > 200) return { ok: false, reason: 'unknown' };
  const key = await ctx.db
    .selectFrom('gateway_keys')
    .selectAll()
    .where('key_hash', '=', hashSecret(token))
    .executeTakeFirst();
  if (!key) return { ok: false, reason: 'unknown' };
  if (key.revoked_at !== null) return { ok: false, reason: 'revoked' };
  const attempt = await ctx.db
    .selectFrom('attempts')
    .selectAll()
    .where('id', '=', key.attempt_id)
    .executeTakeFirstOrThrow();
  // The candidate's key works only while the attempt is open; the grading key while grading runs.
  if (
    key.purpose === 'attempt' &&
    (attempt.status !== 'started' || ctx.clock.now() > attempt.deadline_at + ctx.config.submitGraceMs)
  ) {
    return { ok: false, reason: 'closed' };
  }
  return { ok: true, key, attempt };
}
