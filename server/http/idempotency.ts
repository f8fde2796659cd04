/**
 * `Idempotency-Key` on a POST route: a retry with the same key and body gets the first answer again
 * (with `Idempotent-Replayed: true`) instead of a second invitation; the same key with a different body
 * is refused with 409. Keys belong to the principal (a staff user or an API token) and last 24 hours
 * (server/idempotency/). A request that fails on our side (5xx) or is refused for who sent it (401,
 * 403, 429) releases its key so a retry runs again.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { z } from '@hono/zod-openapi';
import { AppError } from '../errors/index.ts';
import { claimKey, completeKey, fingerprint, releaseKey, type KeyRef } from '../idempotency/index.ts';
import type { AppEnv } from './deps.ts';

/** The header as the OpenAPI document declares it on the routes that honour it. */
export const idempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().openapi({
    description:
      'Any unique string (a UUID is a good choice), at most 255 printable characters. Retrying with the same key and body answers the first response again for 24 hours; the same key with a different body answers 409.',
  }),
});

/** How long a duplicate waits for the first request with its key to finish before answering 409. */
const WAIT_MS = 10_000;
const POLL_MS = 25;

function principalOf(c: Context<AppEnv>): string | undefined {
  const token = c.get('apiToken');
  if (token) return `token:${token.id}`;
  const staff = c.get('staff');
  return staff ? `user:${staff.user.id}` : undefined;
}

export function idempotent(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (key === undefined || c.req.method !== 'POST') return next();
    if (!/^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(key))
      throw new AppError(
        'validation_failed',
        'Idempotency-Key: 1 to 255 printable ASCII characters (a UUID is a good choice)',
      );
    const principal = principalOf(c);
    if (!principal) return next(); // the route answers 401; nothing to remember
    const ctx = c.get('ctx');
    const ref: KeyRef = { principal, key };
    const hash = fingerprint(c.req.method, c.req.path, await c.req.text());
    let claim = await claimKey(ctx, ref, hash);
    for (let waited = 0; claim.kind === 'in_progress' && waited < WAIT_MS; waited += POLL_MS) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      claim = await claimKey(ctx, ref, hash);
    }
    if (claim.kind === 'mismatch')
      throw new AppError(
        'idempotency_key_reused',
        'this Idempotency-Key was already used for a different request (another body or route); send a new key for a new request',
      );
    if (claim.kind === 'in_progress')
      throw new AppError(
        'idempotency_in_progress',
        'a request with this Idempotency-Key is still running; retry in a moment',
      );
    if (claim.kind === 'replay') {
      const { status, contentType, body } = claim.response;
      return new Response(body, {
        status,
        headers: { 'content-type': contentType, 'idempotent-replayed': 'true', 'cache-control': 'no-store' },
      });
    }
    try {
      await next();
    } catch (err) {
      await releaseKey(ctx, ref);
      throw err;
    }
    // Refusals that a retry may get past (sign-in, role, rate limit) and our own failures are not kept.
    if (c.res.status >= 500 || [401, 403, 429].includes(c.res.status)) return releaseKey(ctx, ref);
    const body = await c.res.clone().text();
    await completeKey(ctx, ref, {
      status: c.res.status,
      contentType: c.res.headers.get('content-type') ?? 'application/json',
      body,
    });
  };
}
