/**
 * Stored responses for `Idempotency-Key` retries: the same key with the same request answers what the
 * first request answered; the same key with another request is refused. Stops a retried POST (an ATS
 * whose connection dropped) creating a second invitation: one row per principal and key, claimed by
 * an insert the database's primary key lets only one request win, even when both arrive at once.
 * Stops a database leak from revealing the links inside stored responses: the response is encrypted
 * (AES-256-GCM) with a key derived from the Idempotency-Key, which only the client holds; the row
 * keeps sha256 of it.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { ServiceContext } from '../platform/index.ts';

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export interface StoredResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface KeyRef {
  /** Who sent the request: `user:<id>` or `token:<id>`; keys never collide across principals. */
  principal: string;
  /** The client's Idempotency-Key. */
  key: string;
}

export type Claim =
  | { kind: 'new' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A request's fingerprint: method, path and the body (JSON compared by value, key order ignored). */
export function fingerprint(method: string, path: string, body: string): string {
  let canonical = body;
  try {
    canonical = stableJson(JSON.parse(body));
  } catch {
    // Not JSON: compared byte for byte.
  }
  return sha256(`${method.toUpperCase()} ${path}\n${canonical}`);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/**
 * Claims a key for a request with this fingerprint. `new`: the caller runs the request, then calls
 * completeKey (or releaseKey if it failed on our side). Otherwise: the stored answer, a different
 * request under the same key, or the first request still running.
 */
export async function claimKey(ctx: ServiceContext, ref: KeyRef, requestHash: string): Promise<Claim> {
  const now = ctx.clock.now();
  const keyHash = sha256(ref.key);
  await ctx.db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).execute();
  const inserted = await ctx.db
    .insertInto('idempotency_keys')
    .values({
      principal: ref.principal,
      key_hash: keyHash,
      request_hash: requestHash,
      status: null,
      response: null,
      created_at: now,
      expires_at: now + IDEMPOTENCY_TTL_MS,
    })
    .onConflict((oc) => oc.columns(['principal', 'key_hash']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return { kind: 'new' };
  const row = await ctx.db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status', 'response'])
    .where('principal', '=', ref.principal)
    .where('key_hash', '=', keyHash)
    .executeTakeFirst();
  if (!row) return claimKey(ctx, ref, requestHash); // released between our insert and select
  if (row.request_hash !== requestHash) return { kind: 'mismatch' };
  if (row.status === null || row.response === null) return { kind: 'in_progress' };
  return { kind: 'replay', response: decrypt(ref, row.response) };
}

/** Stores the answer to a claimed key. */
export async function completeKey(ctx: ServiceContext, ref: KeyRef, response: StoredResponse): Promise<void> {
  await ctx.db
    .updateTable('idempotency_keys')
    .set({ status: response.status, response: encrypt(ref, response) })
    .where('principal', '=', ref.principal)
    .where('key_hash', '=', sha256(ref.key))
    .execute();
}

/** Forgets a claimed key whose request failed on our side, so a retry runs it again. */
export async function releaseKey(ctx: ServiceContext, ref: KeyRef): Promise<void> {
  await ctx.db
    .deleteFrom('idempotency_keys')
    .where('principal', '=', ref.principal)
    .where('key_hash', '=', sha256(ref.key))
    .where('status', 'is', null)
    .execute();
}

const keyFor = (ref: KeyRef) =>
  Buffer.from(hkdfSync('sha256', ref.key, ref.principal, 'worksample idempotency v1', 32));

function encrypt(ref: KeyRef, response: StoredResponse): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(ref), iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(response), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64');
}

function decrypt(ref: KeyRef, stored: string): StoredResponse {
  const raw = Buffer.from(stored, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', keyFor(ref), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  return JSON.parse(text) as StoredResponse;
}
