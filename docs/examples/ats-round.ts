/**
 * One hiring round driven from outside, the way an applicant tracking system (ATS) would: with a
 * scoped API token and nothing but fetch.
 *
 *   WORKSAMPLE_URL=https://worksample.example.com \
 *   WORKSAMPLE_TOKEN=wst_… \
 *   npx tsx docs/examples/ats-round.ts --task design-llm-feature --external-id gh-app-4242 \
 *     --name "Ada Lovelace" --email ada@example.com
 *
 * The token needs the scopes `invitations:write` and `results:read` (Admin → API tokens).
 * Steps, each printed as one JSON line on stdout:
 *   1. invite the candidate with the ATS's id as `externalId`, under an Idempotency-Key derived from
 *      that id (so an ATS that retries after a timeout never invites twice);
 *   2. send the very same request again, as a retry would, and check the answer is the same invitation;
 *   3. wait for the candidate's submission and the hiring team's decision (see WEBHOOKS below);
 *   4. fetch the results for that externalId.
 * Exits 0 when the round completed, 1 with a message on stderr otherwise.
 */
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    task: { type: 'string', default: 'design-llm-feature' },
    'external-id': { type: 'string', default: `ats-${Date.now().toString(36)}` },
    name: { type: 'string', default: 'Ada Lovelace' },
    email: { type: 'string', default: 'ada@example.com' },
    'timeout-seconds': { type: 'string', default: '600' },
  },
});

const base = (process.env.WORKSAMPLE_URL ?? 'http://localhost:8080').replace(/\/+$/, '');
const token = process.env.WORKSAMPLE_TOKEN;
if (!token) fail('set WORKSAMPLE_TOKEN to an API token with invitations:write and results:read');
const externalId = args['external-id']!;
const deadline = Date.now() + Number(args['timeout-seconds']) * 1000;

function fail(message: string): never {
  process.stderr.write(`ats-round: ${message}\n`);
  process.exit(1);
}

function say(step: string, data: Record<string, unknown>) {
  process.stdout.write(`${JSON.stringify({ step, ...data })}\n`);
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!res.ok) fail(`${method} ${path} answered ${res.status}: ${json?.error?.message ?? text}`);
  return { json, headers: res.headers };
}

// 1. Invite, idempotently: the key is derived from the ATS's own id for this application.
const invite = {
  taskSlug: args.task,
  candidateName: args.name,
  candidateEmail: args.email,
  externalId,
};
const idempotency = { 'idempotency-key': `invite:${externalId}` };
const first = await call('POST', '/api/invitations', invite, idempotency);
const invitation = first.json.invitation;
// The link is the candidate's credential: an ATS sends it on to the candidate (worksample can email it too).
say('invited', { invitationId: invitation.id, externalId: invitation.externalId, link: first.json.link });

// 2. A retry (say the first answer was lost on the way) creates nothing new.
const retry = await call('POST', '/api/invitations', invite, idempotency);
if (retry.json.invitation.id !== invitation.id) fail('the retry created a second invitation');
if (retry.headers.get('idempotent-replayed') !== 'true') fail('the retry was not answered from the first request');
say('retried', { invitationId: retry.json.invitation.id, replayed: true });

// 3. ─── WEBHOOKS (integrator: fill in) ────────────────────────────────────────────────────────────
// Here the ATS should receive `attempt.submitted` and then `decision.made` on its webhook endpoint and
// verify each signature (HMAC-SHA256 over timestamp + body, within the replay window) before acting.
// Until webhooks land, the script polls the results export (results:read) for the same facts.
// ──────────────────────────────────────────────────────────────────────────────────────────────────
type Row = { attemptId: string; externalId: string | null; decision: string | null; submittedAt: number };
let row: Row | undefined;
let submittedSaid = false;
while (true) {
  const { json } = await call('GET', `/api/export?format=json&externalId=${encodeURIComponent(externalId)}`);
  row = (json.rows as Row[]).find((r) => r.externalId === externalId);
  if (row && !submittedSaid) {
    say('submitted', { attemptId: row.attemptId, submittedAt: row.submittedAt });
    submittedSaid = true;
  }
  if (row?.decision) break;
  if (Date.now() > deadline) fail(`no decision for ${externalId} before the timeout`);
  await new Promise((r) => setTimeout(r, 1000));
}

// 4. The results for this application.
const { json: grade } = await call('GET', `/api/attempts/${row.attemptId}/grade`);
say('results', { externalId, row, grade: grade.grade ?? null });
