/**
 * The "done when" round for ATS integrations: the real `worksample serve`, an admin makes a scoped API
 * token, and docs/examples/ats-round.ts (run with tsx, as a user would) drives the round from outside
 * with it — invite with an externalId twice (one invitation), receive `attempt.submitted` and
 * `decision.made` webhooks with verified signatures, fetch results — while this test plays the
 * candidate (the link the script printed) and the hiring team.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot, runCli, startServe, tempDir, type ServerProcess, serveEnv } from '../helpers/process.ts';

const PASSWORD = 'correct horse battery staple';
const CRITERIA = ['design', 'evaluation', 'failure-modes', 'cost-latency', 'guardrails-privacy', 'rollout'];

/** A fetch client keeping one cookie jar and the CSRF token, like a browser. */
function browser(base: string) {
  const jar = new Map<string, string>();
  let csrf = '';
  async function call(method: string, url: string, body?: unknown) {
    const res = await fetch(url.startsWith('http') ? url : `${base}${url}`, {
      method,
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(method === 'GET' ? {} : { 'x-csrf-token': csrf }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const sc of res.headers.getSetCookie()) {
      const [k, v] = sc.split(';')[0]!.split('=') as [string, string];
      jar.set(k, v);
    }
    const text = await res.text();
    const json = text.startsWith('{') ? JSON.parse(text) : undefined;
    if (json?.csrfToken) csrf = json.csrfToken;
    return { status: res.status, json, text };
  }
  return { call };
}

describe('an ATS round from outside with a scoped API token', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: ServerProcess | undefined;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => {
    await server?.stop();
    await tmp.remove();
  });

  it('invites once for two identical requests, then fetches the decided result', async () => {
    const env = await serveEnv(tmp.dir, {
      // The script's webhook receiver listens on loopback.
      WEBHOOK_ALLOW_PRIVATE: '1',
    });
    expect((await runCli(['tasks', 'import', 'tasks/design-llm-feature'], env)).code).toBe(0);
    const add = await runCli(
      ['users', 'add', '--email', 'admin@example.com', '--role', 'admin', '--password', PASSWORD],
      env,
    );
    expect(add.code, add.stderr).toBe(0);
    server = await startServe(env);
    const base = server.url;

    const admin = browser(base);
    const login = await admin.call('POST', '/api/auth/login', {
      email: 'admin@example.com',
      password: PASSWORD,
    });
    expect(login.status).toBe(200);
    const adminId = login.json.user.id as string;
    const made = await admin.call('POST', '/api/tokens', {
      name: 'ATS round',
      scopes: ['invitations:write', 'results:read', 'webhooks:write'],
      expiresInDays: 1,
    });
    expect(made.status).toBe(201);

    const script = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(repoRoot, 'docs/examples/ats-round.ts'),
        '--external-id',
        'gh-application-4242',
        '--timeout-seconds',
        '120',
      ],
      { cwd: repoRoot, env: { ...process.env, WORKSAMPLE_URL: base, WORKSAMPLE_TOKEN: made.json.secret } },
    );
    let stderr = '';
    script.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => script.on('close', resolve));
    const steps: Array<Record<string, any>> = [];
    const lines = createInterface({ input: script.stdout });
    const stepSeen = (name: string) =>
      new Promise<Record<string, any>>((resolve, reject) => {
        const found = steps.find((s) => s.step === name);
        if (found) return resolve(found);
        const onLine = () => {
          const s = steps.find((x) => x.step === name);
          if (s) {
            lines.off('line', onLine);
            resolve(s);
          }
        };
        lines.on('line', onLine);
        void exited.then((code) => reject(new Error(`script exited ${code} before ${name}: ${stderr}`)));
      });
    lines.on('line', (l) => steps.push(JSON.parse(l)));

    // The candidate gets the link (from the ATS) and takes the task.
    const invited = await stepSeen('invited');
    expect(invited.externalId).toBe('gh-application-4242');
    await stepSeen('retried');
    const candidate = browser(base);
    expect((await candidate.call('GET', invited.link)).status).toBe(303);
    expect((await candidate.call('GET', '/api/candidate')).status).toBe(200);
    const started = await candidate.call('POST', '/api/candidate/start');
    expect(started.status, started.text).toBe(200);
    const attemptId = started.json.attempt.id as string;
    const saved = await candidate.call('PUT', `/api/attempts/${attemptId}/file`, {
      path: 'answers/design.md',
      content: 'Draft on ticket events; route between two model tiers.',
    });
    expect(saved.status, saved.text).toBe(200);
    expect((await candidate.call('POST', `/api/attempts/${attemptId}/submit`)).status).toBe(200);

    // The hiring team reviews and decides.
    await stepSeen('submitted');
    const assign = await admin.call('POST', `/api/reviews/${attemptId}/assignments`, {
      reviewerIds: [adminId],
    });
    expect(assign.status, assign.text).toBe(200);
    const levels = Object.fromEntries(
      CRITERIA.map((id) => [id, { level: 3, evidence: 'clear and concrete' }]),
    );
    const draft = await admin.call('PUT', `/api/reviews/${attemptId}/mine`, { levels, recommendation: 3 });
    expect(draft.status, draft.text).toBe(200);
    expect((await admin.call('POST', `/api/reviews/${attemptId}/mine/submit`)).status).toBe(200);
    const decided = await admin.call('POST', `/api/reviews/${attemptId}/decision`, {
      decision: 'advance',
      reason: 'strong design',
    });
    expect(decided.status, decided.text).toBe(200);

    const decidedHook = await stepSeen('decided');
    expect(decidedHook).toMatchObject({ attemptId, decision: 'advance' });
    const results = await stepSeen('results');
    // Every delivery verified: nothing was rejected.
    expect(steps.filter((s) => s.step === 'rejected')).toEqual([]);
    expect(await exited, stderr).toBe(0);
    expect(results.row).toMatchObject({
      attemptId,
      externalId: 'gh-application-4242',
      decision: 'advance',
      name: null, // a token never sees identities
      reviewers: 1,
    });
    // Two identical requests, one invitation.
    const listed = await admin.call('GET', '/api/invitations?externalId=gh-application-4242');
    expect(listed.json.invitations).toHaveLength(1);
    // The token was used, and its use recorded.
    const tokens = await admin.call('GET', '/api/tokens');
    expect(tokens.json.tokens[0].lastUsedAt).toEqual(expect.any(Number));
  }, 240_000);
});
