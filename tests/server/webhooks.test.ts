/**
 * Webhooks from a real `worksample serve` process to a receiver on 127.0.0.1 that verifies every
 * signature with the documented verifier and injects failures: a full round (opened, started,
 * submitted, graded, reviewed, decided) arrives with one delivery per event; the receiver's 500 and
 * hang are retried with backoff until it answers 200; a try cut off by killing the server (SIGKILL)
 * is sent again by the next server process under the same delivery id. Short delays are configured
 * (WEBHOOK_RETRY_BASE_SECONDS, WEBHOOK_TIMEOUT_SECONDS).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { repoRoot, runCli, startServe, tempDir, type ServerProcess, serveEnv } from '../helpers/process.ts';
import { startReceiver, type Receiver } from '../../server/testing/webhook-receiver.ts';

const PASSWORD = 'correct horse battery staple';

describe('webhooks from a server process', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: ServerProcess | undefined;
  let receiver: Receiver | undefined;
  beforeEach(async () => {
    tmp = await tempDir('ws-webhooks-');
  });
  afterEach(async () => {
    await server?.stop('SIGKILL');
    await receiver?.close();
    await tmp.remove();
  });

  /** A browser: keeps cookies, sends the CSRF token on mutations. */
  function browser(base: string) {
    const cookies = new Map<string, string>();
    let csrf = '';
    async function req(method: string, url: string, body?: unknown) {
      const headers: Record<string, string> = {
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      };
      if (method !== 'GET') headers['x-csrf-token'] = csrf;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(url.startsWith('http') ? url : `${base}${url}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
      });
      for (const c of res.headers.getSetCookie()) {
        const [k, v] = c.split(';')[0]!.split('=');
        cookies.set(k!, v!);
      }
      const text = await res.text();
      const json = text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined;
      if (json?.csrfToken) csrf = json.csrfToken;
      return { status: res.status, json };
    }
    return {
      req,
      setBase(b: string) {
        base = b;
      },
      async signIn(email: string) {
        const r = await req('POST', '/api/auth/login', { email, password: PASSWORD });
        expect(r.status).toBe(200);
      },
    };
  }

  it('delivers a full round once per event, retries failures with backoff, and resumes after a kill', async () => {
    const env = await serveEnv(tmp.dir, {
      WEBHOOK_ALLOW_PRIVATE: '1',
      WEBHOOK_RETRY_BASE_SECONDS: '0.3',
      WEBHOOK_TIMEOUT_SECONDS: '1',
    });
    expect((await runCli(['tasks', 'import', 'tasks/hello-llm'], env)).code).toBe(0);
    for (const [role, email] of [
      ['admin', 'admin@example.com'],
      ['reviewer', 'reviewer@example.com'],
    ])
      expect(
        (await runCli(['users', 'add', '--role', role!, '--email', email!, '--password', PASSWORD], env))
          .code,
      ).toBe(0);

    // attempt.started: 500, then no answer (past the 1 s timeout), then 200. decision.made: the first
    // try hangs until the server is killed.
    const seen = new Map<string, number>();
    receiver = await startReceiver({
      plan: ({ body }) => {
        const n = (seen.get(body?.type) ?? 0) + 1;
        seen.set(body?.type, n);
        if (body?.type === 'attempt.started') return n === 1 ? 500 : n === 2 ? 'hang' : 200;
        if (body?.type === 'decision.made' && n === 1) return 'hang';
        return 200;
      },
    });
    server = await startServe(env);
    const admin = browser(server.url);
    await admin.signIn('admin@example.com');
    const created = await admin.req('POST', '/api/webhooks', {
      url: receiver.url,
      description: 'ATS',
      events: [
        'invitation.opened',
        'attempt.started',
        'attempt.submitted',
        'grade.completed',
        'review.submitted',
        'decision.made',
      ],
    });
    expect(created.status).toBe(201);
    receiver.setSecret(created.json.secret);
    const endpointId = created.json.endpoint.id;

    const inv = await admin.req('POST', '/api/invitations', {
      taskSlug: 'hello-llm',
      candidateName: 'Grace Hopper',
      candidateEmail: 'grace@example.com',
    });
    const candidate = browser(server.url);
    expect((await candidate.req('GET', inv.json.link)).status).toBe(303);
    await candidate.req('GET', '/api/candidate');
    const { attempt } = (await candidate.req('POST', '/api/candidate/start')).json;
    const solution = await readFile(
      path.join(repoRoot, 'tasks/hello-llm/solution/parse-model-json.mjs'),
      'utf8',
    );
    await candidate.req('PUT', `/api/attempts/${attempt.id}/file`, {
      path: 'parse-model-json.mjs',
      content: solution,
    });
    expect((await candidate.req('POST', `/api/attempts/${attempt.id}/submit`)).status).toBe(200);
    await vi.waitFor(() => expect(receiver!.of('grade.completed')).toHaveLength(1), {
      timeout: 60_000,
      interval: 200,
    });

    const reviewer = browser(server.url);
    await reviewer.signIn('reviewer@example.com');
    const levels = Object.fromEntries(
      ['correctness', 'error-handling', 'clarity'].map((c) => [c, { level: 3, evidence: 'read it' }]),
    );
    expect(
      (await reviewer.req('PUT', `/api/reviews/${attempt.id}/mine`, { levels, recommendation: 3 })).status,
    ).toBe(200);
    expect((await reviewer.req('POST', `/api/reviews/${attempt.id}/mine/submit`)).status).toBe(200);
    expect(
      (
        await admin.req('POST', `/api/reviews/${attempt.id}/decision`, {
          decision: 'advance',
          reason: 'good',
        })
      ).status,
    ).toBe(200);

    // The decision's first try hangs: the server dies mid-request, and a new one takes over.
    await vi.waitFor(() => expect(receiver!.of('decision.made')).toHaveLength(1), {
      timeout: 20_000,
      interval: 100,
    });
    await server.stop('SIGKILL');
    server = await startServe(env);
    admin.setBase(server.url);
    await vi.waitFor(() => expect(receiver!.of('decision.made')).toHaveLength(2), {
      timeout: 20_000,
      interval: 100,
    });
    await vi.waitFor(() => expect(receiver!.of('attempt.started')).toHaveLength(3), {
      timeout: 20_000,
      interval: 100,
    });

    // Every request was signed with the endpoint's secret; each event is one delivery.
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    const types = [
      'invitation.opened',
      'attempt.started',
      'attempt.submitted',
      'grade.completed',
      'review.submitted',
      'decision.made',
    ];
    for (const type of types) {
      const got = receiver.of(type);
      expect(new Set(got.map((r) => r.headers['x-worksample-delivery'])).size, type).toBe(1);
      expect(new Set(got.map((r) => r.body.id)).size, type).toBe(1);
      expect(
        got.filter((r) => r.answered === 200),
        type,
      ).toHaveLength(1);
    }
    expect(receiver.of('attempt.submitted')[0]!.body.data).toMatchObject({
      attemptId: attempt.id,
      reason: 'candidate',
    });
    // Backoff: the second try came at least half a base step after the 500, the third at least the
    // 1 s timeout plus half of the next step after the second.
    const [s1, s2, s3] = receiver.of('attempt.started');
    expect(s2!.at - s1!.at).toBeGreaterThanOrEqual(150);
    expect(s3!.at - s2!.at).toBeGreaterThanOrEqual(1000 + 600);

    // The delivery log the admin page shows.
    await admin.signIn('admin@example.com');
    const log = (await admin.req('GET', `/api/webhooks/${endpointId}/deliveries`)).json
      .deliveries as Array<any>;
    expect(log).toHaveLength(6);
    expect(log.every((d) => d.status === 'succeeded')).toBe(true);
    const started = log.find((d) => d.eventType === 'attempt.started');
    expect(started.log.map((x: any) => x.statusCode)).toEqual([500, null, 200]);
    expect(started.log[1].error).toMatch(/no answer within 1000 ms/);
    const decided = log.find((d) => d.eventType === 'decision.made');
    expect(decided.log.map((x: any) => [x.statusCode, x.error])).toEqual([
      [null, 'the server stopped during this try'],
      [200, null],
    ]);
  }, 120_000);
});
