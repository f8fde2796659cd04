/**
 * Greenhouse's Assessment Partner contract, step by step, with a client playing Greenhouse over
 * loopback against the app listening on 127.0.0.1: list_tests → send_test → test_status (sent,
 * in_progress, complete with the score) — and the errors it must get: no or wrong credentials, a
 * token without the greenhouse scope or revoked (401), an unknown test or interview (404), a bad
 * body (400), another customer's interview (404).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exampleTaskDir, makeTestApp, type Browser, type TestApp } from '../testing/index.ts';
import { memoryMailer } from '../email/index.ts';
import { LocalDriver } from '../sandbox/index.ts';
import { silentLogger } from '../logger/index.ts';
import { startReceiver, type Receiver } from '../testing/webhook-receiver.ts';
import { importLoop } from '../assessments/fixtures.ts';

describe('Greenhouse assessment partner API (contract)', () => {
  let t: TestApp;
  let server: ServerType | undefined;
  let callback: Receiver | undefined;
  let mailer = memoryMailer();
  afterEach(async () => {
    await callback?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    await t?.close();
  });

  async function setUp() {
    mailer = memoryMailer();
    t = await makeTestApp({
      driver: new LocalDriver({ logger: silentLogger, useBwrap: false }),
      // The candidate's invitation email, as the SMTP server would receive it.
      mailer,
      // Greenhouse's callback is played on loopback too.
      env: { WEBHOOK_ALLOW_PRIVATE: '1' },
    });
    await t.services.webhooks.start();
    await t.importExample();
    const admin = await t.staff('admin');
    const token = async (scopes: string[]) => {
      const r = await t.req(admin, 'POST', '/api/tokens', { name: scopes.join(','), scopes });
      return { secret: r.json.secret as string, id: r.json.token.id as string };
    };
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server!.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/greenhouse`;
    /** Greenhouse's side: Basic auth with the key as username and an empty password. */
    const greenhouse = (key: string | null) => async (method: string, route: string, body?: unknown) => {
      const headers: Record<string, string> = {};
      if (key !== null) headers.authorization = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${base}/${route}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: await res.json(), headers: res.headers };
    };
    return { admin, token, greenhouse };
  }

  it('lists tests, sends one, reports sent → in_progress → complete with the score, and PATCHes the callback', async () => {
    const { admin, token, greenhouse } = await setUp();
    callback = await startReceiver();
    const gh = greenhouse((await token(['greenhouse'])).secret);

    const tests = await gh('GET', 'list_tests');
    expect(tests.status).toBe(200);
    expect(tests.json).toEqual([{ partner_test_id: 'hello-llm', partner_test_name: expect.any(String) }]);

    const sent = await gh('POST', 'send_test', {
      partner_test_id: 'hello-llm',
      candidate: {
        first_name: 'Katherine',
        last_name: 'Johnson',
        email: 'kj@example.com',
        greenhouse_profile_url: 'https://app.greenhouse.io/people/123',
      },
      url: callback.url,
    });
    expect(sent.status).toBe(200);
    const id: string = sent.json.partner_interview_id;
    expect(id).toMatch(/^ghi_/);
    const status = async () => (await gh('GET', `test_status?partner_interview_id=${id}`)).json;
    expect(await status()).toMatchObject({ partner_status: 'sent', partner_score: null });

    // The invitation is ours like any other (staff see it, with Greenhouse's profile as the ATS id).
    const invs = (await t.req(admin, 'GET', '/api/invitations')).json.invitations;
    expect(invs).toHaveLength(1);
    expect(invs[0]).toMatchObject({ candidateName: 'Katherine Johnson', candidateEmail: 'kj@example.com' });
    // send_test emails the candidate our invitation, with the link they start from.
    await t.services.email.start();
    await vi.waitFor(() => expect(mailer.sent).toHaveLength(1), { timeout: 10_000 });
    expect(mailer.sent[0]).toMatchObject({ to: 'kj@example.com' });
    const link = /https?:\/\/\S+\/i\/[A-Za-z0-9_-]+/.exec(mailer.sent[0]!.text)?.[0];
    expect(link, mailer.sent[0]!.text).toBeDefined();
    const cand: Browser = await t.candidate(link!.split('/i/')[1]!);
    const attemptId = (await t.req(cand, 'POST', '/api/candidate/start')).json.attempt.id;
    expect(await status()).toMatchObject({
      partner_status: 'in_progress',
      partner_profile_url: `http://localhost:8080/review/${attemptId}`,
    });
    const solution = await readFile(path.join(exampleTaskDir, 'solution/parse-model-json.mjs'), 'utf8');
    await t.req(cand, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'parse-model-json.mjs',
      content: solution,
    });
    await t.req(cand, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.services.settle();
    const done = await status();
    expect(done).toMatchObject({
      partner_status: 'complete',
      partner_score: 100,
      metadata: { task: 'hello-llm', attempt_id: attemptId, verdict: 'passed' },
    });
    expect(JSON.stringify(done)).not.toContain('parseModelJson');
    // On completion Greenhouse's callback gets a PATCH with the same status, once (durable queue).
    await vi.waitFor(() => expect(callback!.received).toHaveLength(1), { timeout: 10_000 });
    expect(callback.received[0]).toMatchObject({ method: 'PATCH', body: done });
    await t.services.settle();
    expect(callback.received).toHaveLength(1);
    // The hidden callback endpoint is not one of the admin's webhooks.
    expect((await t.req(admin, 'GET', '/api/webhooks')).json.endpoints).toEqual([]);
  });

  it('offers assessments as assessment:<slug>; test_status is complete once every task is in, with the weighted score', async () => {
    const { admin, token, greenhouse } = await setUp();
    await importLoop(t.ctx, { slug: 'solo', clock: 'per-task', onlyFirst: true });
    const gh = greenhouse((await token(['greenhouse'])).secret);
    expect((await gh('GET', 'list_tests')).json).toContainEqual({
      partner_test_id: 'assessment:solo',
      partner_test_name: 'Loop',
    });
    const sent = await gh('POST', 'send_test', {
      partner_test_id: 'assessment:solo',
      candidate: { first_name: 'Dorothy', email: 'dv@example.com' },
    });
    expect(sent.status).toBe(200);
    const id: string = sent.json.partner_interview_id;
    const status = async () => (await gh('GET', `test_status?partner_interview_id=${id}`)).json;
    expect(await status()).toMatchObject({ partner_status: 'sent', partner_score: null });
    const [inv] = (await t.req(admin, 'GET', '/api/invitations')).json.invitations;
    expect(inv.assessment).toMatchObject({ slug: 'solo', taskCount: 1 });
    expect(
      (
        await gh('POST', 'send_test', {
          partner_test_id: 'assessment:nope',
          candidate: { email: 'x@example.com' },
        })
      ).status,
    ).toBe(404);

    await t.services.email.start();
    await vi.waitFor(() => expect(mailer.sent).toHaveLength(1), { timeout: 10_000 });
    const link = /https?:\/\/\S+\/i\/[A-Za-z0-9_-]+/.exec(mailer.sent[0]!.text)![0];
    const cand: Browser = await t.candidate(link.split('/i/')[1]!);
    await t.req(cand, 'POST', '/api/candidate/assessment/start');
    expect(await status()).toMatchObject({ partner_status: 'in_progress' });
    const attemptId = (await t.req(cand, 'POST', '/api/candidate/start')).json.attempt.id;
    const solution = await readFile(path.join(exampleTaskDir, 'solution/parse-model-json.mjs'), 'utf8');
    await t.req(cand, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'parse-model-json.mjs',
      content: solution,
    });
    await t.req(cand, 'POST', '/api/candidate/assessment/submit');
    await t.services.settle();
    expect(await status()).toMatchObject({
      partner_status: 'complete',
      partner_score: 100,
      partner_profile_url: `http://localhost:8080/admin/invitations/${inv.id}`,
      metadata: {
        task: 'assessment:solo',
        attempt_id: attemptId,
        tasks: [{ position: 0, task: 'hello-llm', score: 100 }],
      },
    });
  });

  it('answers errors as Greenhouse expects: 401 without a greenhouse key, 404 and 400 for bad requests', async () => {
    const { admin, token, greenhouse } = await setUp();
    const key = await token(['greenhouse']);
    const gh = greenhouse(key.secret);
    for (const [who, label] of [
      [greenhouse(null), 'no credentials'],
      [greenhouse('wst_not_a_real_token'), 'a made-up key'],
      [greenhouse((await token(['invitations:write', 'results:read'])).secret), 'a token without the scope'],
    ] as const) {
      const r = await who('GET', 'list_tests');
      expect(r.status, label).toBe(401);
      expect(r.headers.get('www-authenticate'), label).toMatch(/^Basic /);
      expect(r.json.errors[0].message, label).toMatch(/greenhouse scope/);
      expect(
        (
          await who('POST', 'send_test', {
            partner_test_id: 'hello-llm',
            candidate: { email: 'x@example.com' },
          })
        ).status,
      ).toBe(401);
    }
    expect((await t.req(admin, 'GET', '/api/invitations')).json.invitations).toHaveLength(0);

    const unknown = await gh('POST', 'send_test', {
      partner_test_id: 'no-such-task',
      candidate: { email: 'a@example.com' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({
      message: expect.any(String),
      errors: [{ message: expect.any(String) }],
    });
    expect(
      (await gh('POST', 'send_test', { partner_test_id: 'hello-llm', candidate: { email: 'not an email' } }))
        .status,
    ).toBe(400);
    expect((await gh('POST', 'send_test', { candidate: {} })).status).toBe(400);
    expect((await gh('GET', 'test_status')).status).toBe(400);
    const badCallback = {
      partner_test_id: 'hello-llm',
      candidate: { email: 'c@example.com' },
      url: 'file:///etc/passwd',
    };
    expect((await gh('POST', 'send_test', badCallback)).status).toBe(400);
    expect((await gh('GET', 'test_status?partner_interview_id=ghi_missing')).status).toBe(404);

    // Another customer's key cannot read this customer's interview.
    const sent = await gh('POST', 'send_test', {
      partner_test_id: 'hello-llm',
      candidate: { email: 'b@example.com' },
    });
    const other = greenhouse((await token(['greenhouse'])).secret);
    expect(
      (await other('GET', `test_status?partner_interview_id=${sent.json.partner_interview_id}`)).status,
    ).toBe(404);

    // A revoked key stops working at once.
    expect((await t.req(admin, 'POST', `/api/tokens/${key.id}/revoke`)).status).toBe(200);
    expect((await gh('GET', 'list_tests')).status).toBe(401);
  });
});
