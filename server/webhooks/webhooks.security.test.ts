/**
 * Webhook attacks: forged, tampered and replayed deliveries fail the documented verifier (the module's
 * and the copy in docs/webhooks.md alike); only admins reach the webhook API and secrets never leave
 * the create/rotate answers; webhook URLs cannot make the server reach loopback, private or metadata
 * addresses (unless WEBHOOK_ALLOW_PRIVATE) nor non-http schemes.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../testing/index.ts';
import { webhookFixture } from '../testing/webhooks.ts';
import { isNonPublicAddress, signatureHeader, verifyWebhook, type VerifyResult } from './index.ts';

type Verifier = (o: {
  secret: string;
  header: string | undefined;
  body: string | Buffer;
  toleranceSeconds?: number;
  nowMs?: number;
}) => VerifyResult;

/** The verifier exactly as docs/webhooks.md shows it, loaded as a module. */
async function documentedVerifier(): Promise<Verifier> {
  const doc = await readFile(path.join(repoRoot, 'docs/webhooks.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Verifying a webhook'));
  const code = /```js\n([\s\S]*?)```/.exec(section)![1]!;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ws-verifier-'));
  try {
    await writeFile(path.join(dir, 'verify.mjs'), code);
    return (await import(pathToFileURL(path.join(dir, 'verify.mjs')).href)).verifyWebhook;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('webhooks (security)', () => {
  let f: Awaited<ReturnType<typeof webhookFixture>>;
  afterEach(() => f?.close());

  it('a real delivery verifies; tampering, a wrong secret and a replay after 5 minutes do not', async () => {
    f = await webhookFixture();
    await f.t.req(f.admin, 'POST', `/api/webhooks/${f.endpoint.id}/test`);
    await f.flush();
    const got = f.receiver.received[0]!;
    const header = got.headers['x-worksample-signature'] as string;
    const sentAt = f.t.clock.now();
    for (const verify of [verifyWebhook as Verifier, await documentedVerifier()]) {
      const check = (o: Partial<Parameters<Verifier>[0]>) =>
        verify({ secret: f.secret, header, body: got.raw, nowMs: sentAt, ...o });
      expect(check({})).toMatchObject({ ok: true });
      expect(check({ body: Buffer.from(got.raw) })).toMatchObject({ ok: true });
      expect(check({ body: got.raw.replace('webhook.test', 'decision.made') })).toEqual({
        ok: false,
        reason: 'signature does not match',
      });
      expect(check({ body: `${got.raw} ` })).toMatchObject({ ok: false });
      expect(check({ secret: 'whsec_wrong' })).toMatchObject({
        ok: false,
        reason: 'signature does not match',
      });
      // Moving the timestamp to look fresh breaks the signature (t is signed).
      const t = Number(/t=(\d+)/.exec(header)![1]);
      expect(
        check({ header: header.replace(`t=${t}`, `t=${t + 600}`), nowMs: sentAt + 600_000 }),
      ).toMatchObject({
        ok: false,
        reason: 'signature does not match',
      });
      // Replayed later: refused once outside the 5-minute window, in either direction.
      expect(check({ nowMs: sentAt + 299_000 })).toMatchObject({ ok: true });
      expect(check({ nowMs: sentAt + 301_000 })).toEqual({
        ok: false,
        reason: 'timestamp outside the replay window',
      });
      expect(check({ nowMs: sentAt - 301_000 })).toMatchObject({ ok: false });
      expect(check({ header: undefined })).toMatchObject({ ok: false, reason: 'no signature header' });
      expect(check({ header: 'v1=abc' })).toMatchObject({ ok: false, reason: 'malformed signature header' });
      // A signature made with another key cannot be passed off by adding it next to a bad one.
      const forged = signatureHeader(['whsec_attacker'], got.raw, sentAt);
      expect(check({ header: forged })).toMatchObject({ ok: false });
    }
  });

  it('only admins reach the webhook API; the secret is only in the create and rotate answers', async () => {
    f = await webhookFixture();
    const { t } = f;
    await t.importExample();
    const { browser: candidate } = await t.startedCandidate();
    const id = f.endpoint.id;
    await t.req(f.admin, 'POST', `/api/webhooks/${id}/test`);
    await f.flush();
    const [d] = await f.deliveries();
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/webhooks'],
      ['POST', '/api/webhooks', { url: 'https://example.com/h', events: ['attempt.started'] }],
      ['GET', `/api/webhooks/${id}`],
      ['PATCH', `/api/webhooks/${id}`, { url: 'https://attacker.example/h' }],
      ['DELETE', `/api/webhooks/${id}`],
      ['POST', `/api/webhooks/${id}/rotate-secret`],
      ['POST', `/api/webhooks/${id}/test`],
      ['GET', `/api/webhooks/${id}/deliveries`],
      ['POST', `/api/webhooks/deliveries/${d.id}/redeliver`],
    ];
    const reviewer = await t.staff('reviewer');
    const author = await t.staff('author');
    for (const [method, url, body] of routes) {
      for (const [who, status] of [
        [reviewer, 403],
        [author, 403],
        [candidate, 401],
        [undefined, 401],
      ] as const) {
        const r = await t.req(who, method, url, body);
        expect(r.status, `${method} ${url}`).toBe(status);
        expect(r.text).not.toContain(f.secret);
      }
    }
    // Nothing changed: the endpoint is as the admin left it.
    const ep = await t.req(f.admin, 'GET', `/api/webhooks/${id}`);
    expect(ep.json.endpoint.url).toBe(f.receiver.url);
    for (const url of ['/api/webhooks', `/api/webhooks/${id}`, `/api/webhooks/${id}/deliveries`])
      expect((await t.req(f.admin, 'GET', url)).text).not.toContain(f.secret);
  });

  it('lets API tokens manage webhooks only with the webhooks scopes', async () => {
    f = await webhookFixture();
    const { t } = f;
    const token = async (scopes: string[]) =>
      (await t.req(f.admin, 'POST', '/api/tokens', { name: scopes.join(' '), scopes })).json.secret as string;
    const as = (secret: string, method: string, url: string, body?: unknown) =>
      t.req(undefined, method, url, body, { authorization: `Bearer ${secret}` });
    const read = await token(['webhooks:read']);
    const write = await token(['webhooks:write']);
    const other = await token(['invitations:write', 'results:read']);
    const endpoint = { url: 'https://ats.example.com/hook', events: ['attempt.submitted'] };
    expect((await as(read, 'GET', '/api/webhooks')).status).toBe(200);
    expect((await as(read, 'GET', `/api/webhooks/${f.endpoint.id}/deliveries`)).status).toBe(200);
    const refused = await as(read, 'POST', '/api/webhooks', endpoint);
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('insufficient_scope');
    expect((await as(other, 'GET', '/api/webhooks')).status).toBe(403);
    const made = await as(write, 'POST', '/api/webhooks', endpoint);
    expect(made.status).toBe(201);
    expect(made.json.secret).toMatch(/^whsec_/);
    expect((await as(read, 'GET', '/api/webhooks')).text).not.toContain(made.json.secret);
  });

  it('refuses to deliver to loopback, by address or by name, unless WEBHOOK_ALLOW_PRIVATE', async () => {
    f = await webhookFixture({ env: { WEBHOOK_ALLOW_PRIVATE: '0' } });
    const { t, receiver } = f;
    const port = new URL(receiver.url).port;
    const urls = [
      receiver.url,
      `http://localhost:${port}/hook`,
      `http://[::ffff:127.0.0.1]:${port}/hook`,
      `http://[::1]:${port}/hook`,
      `http://2130706433:${port}/hook`, // 127.0.0.1 as one number
    ];
    for (const url of urls) {
      const ep = await t.req(f.admin, 'PATCH', `/api/webhooks/${f.endpoint.id}`, { url });
      expect(ep.status).toBe(200);
      await t.req(f.admin, 'POST', `/api/webhooks/${f.endpoint.id}/test`);
      await f.flush();
      const [d] = await f.deliveries();
      expect(d.status, url).toBe('pending');
      expect(d.lastError, url).toMatch(/refused: .* (is not|not) a public address/);
    }
    expect(receiver.received).toHaveLength(0);
  });

  it('refuses non-http schemes when an endpoint is created or changed', async () => {
    f = await webhookFixture();
    for (const url of [
      'file:///etc/passwd',
      'gopher://127.0.0.1:6379/_INFO',
      'javascript:alert(1)',
      'ws://example.com/',
    ]) {
      expect(
        (await f.t.req(f.admin, 'POST', '/api/webhooks', { url, events: ['attempt.started'] })).status,
      ).toBe(400);
      expect((await f.t.req(f.admin, 'PATCH', `/api/webhooks/${f.endpoint.id}`, { url })).status).toBe(400);
    }
  });

  it('classifies addresses: loopback, private, link-local, metadata, mapped forms are not public', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      'not-an-ip',
    ])
      expect(isNonPublicAddress(a), a).toBe(true);
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])
      expect(isNonPublicAddress(a), a).toBe(false);
  });
});
