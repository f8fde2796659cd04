/**
 * The secret check itself: a wrong secret for a real token id is told apart from the right one only by
 * a constant-time comparison of sha256 digests (node's timingSafeEqual), never by string equality,
 * which returns early at the first differing character and leaks how much of a guess was right.
 */
import * as crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('node:crypto', async (original) => {
  const real = await original<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const { makeTestApp } = await import('../testing/index.ts');
const { createApiToken, verifyApiToken, LAST_USED_RESOLUTION_MS } = await import('./index.ts');
const { createUser } = await import('../users/index.ts');

describe('API token verification (security)', () => {
  let t: Awaited<ReturnType<typeof makeTestApp>>;
  let secret: string;
  beforeEach(async () => {
    t = await makeTestApp();
    const admin = await createUser(t.ctx, {
      email: 'a@example.com',
      role: 'admin',
      password: 'x'.repeat(12),
    });
    ({ secret } = await createApiToken(t.ctx, { name: 'ats', scopes: ['results:read'] }, admin));
    vi.mocked(crypto.timingSafeEqual).mockClear();
  });
  afterEach(() => t.close());

  it('compares the digest of a presented secret in constant time', async () => {
    const wrong = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    expect(await verifyApiToken(t.ctx, wrong)).toEqual({ ok: false, reason: 'invalid' });
    const calls = vi.mocked(crypto.timingSafeEqual).mock.calls;
    expect(calls).toHaveLength(1);
    const [a, b] = calls[0]! as unknown as [Buffer, Buffer];
    expect(a.length).toBe(32); // digests, so the compared length never depends on the guess
    expect(b.length).toBe(32);
    expect((await verifyApiToken(t.ctx, secret)).ok).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it('does the same work for an unknown token id', async () => {
    const unknown = secret.replace(/^wst_[a-z0-9]+_/, 'wst_ffffffffffffffffffff_');
    expect(await verifyApiToken(t.ctx, unknown)).toEqual({ ok: false, reason: 'invalid' });
    expect(vi.mocked(crypto.timingSafeEqual).mock.calls).toHaveLength(1);
  });

  it('checks the scope asked for (how Greenhouse Basic auth will use it)', async () => {
    expect(await verifyApiToken(t.ctx, secret, 'greenhouse')).toEqual({
      ok: false,
      reason: 'insufficient_scope',
    });
    const ok = await verifyApiToken(t.ctx, secret, 'results:read');
    expect(ok.ok && ok.token.scopes).toEqual(['results:read']);
    expect(ok.ok && ok.token.user.role).toBe('author');
  });

  it('records the last use at most once a minute', async () => {
    const lastUsed = async () =>
      (await t.ctx.db.selectFrom('api_tokens').select('last_used_at').executeTakeFirstOrThrow()).last_used_at;
    expect(await lastUsed()).toBeNull();
    const first = t.clock.now();
    await verifyApiToken(t.ctx, secret);
    expect(await lastUsed()).toBe(first);
    t.clock.advance(LAST_USED_RESOLUTION_MS - 1);
    await verifyApiToken(t.ctx, secret);
    expect(await lastUsed()).toBe(first);
    t.clock.advance(1);
    await verifyApiToken(t.ctx, secret);
    expect(await lastUsed()).toBe(first + LAST_USED_RESOLUTION_MS);
  });
});
