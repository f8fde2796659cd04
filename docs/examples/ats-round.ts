/**
 * One hiring round driven from outside, the way an applicant tracking system (ATS) would: with a
 * scoped API token and nothing but fetch.
 *
 *   WORKSAMPLE_URL=https://worksample.example.com \
 *   WORKSAMPLE_TOKEN=wst_… \
 *   npx tsx docs/examples/ats-round.ts --task design-llm-feature --external-id gh-app-4242 \
 *     --name "Ada Lovelace" --email ada@example.com
 *
 * The token needs the scopes `invitations:write`, `results:read` and `webhooks:write`
 * (Admin → API tokens). Steps, each printed as one JSON line on stdout:
 *   0. start a webhook receiver (`--receiver-port`, reachable by worksample at `--receiver-url`) and
 *      register it for `attempt.submitted` and `decision.made`; the secret comes back once;
 *   1. invite the candidate with the ATS's id as `externalId`, under an Idempotency-Key derived from
 *      that id (so an ATS that retries after a timeout never invites twice);
 *   2. send the very same request again, as a retry would, and check the answer is the same invitation;
 *   3. receive `attempt.submitted` and then `decision.made` for that externalId, each signature
 *      verified (HMAC-SHA256 over timestamp + body, 5-minute replay window; docs/webhooks.md) before
 *      acting on it — a delivery that fails verification is answered 400 and ignored;
 *   4. fetch the results for that externalId; remove the webhook endpoint.
 * Exits 0 when the round completed, 1 with a message on stderr otherwise.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
// An ATS written in another language verifies with the few lines docs/webhooks.md shows.
import { verifyWebhook } from '../../server/webhooks/index.ts';

const { values: args } = parseArgs({
  options: {
    task: { type: 'string', default: 'design-llm-feature' },
    'external-id': { type: 'string', default: `ats-${Date.now().toString(36)}` },
    name: { type: 'string', default: 'Ada Lovelace' },
    email: { type: 'string', default: 'ada@example.com' },
    'timeout-seconds': { type: 'string', default: '600' },
    'receiver-port': { type: 'string', default: '0' },
    /** Where worksample reaches the receiver (default: loopback, for worksample on this machine). */
    'receiver-url': { type: 'string' },
  },
});

const base = (process.env.WORKSAMPLE_URL ?? 'http://localhost:8080').replace(/\/+$/, '');
const token = process.env.WORKSAMPLE_TOKEN;
if (!token)
  fail('set WORKSAMPLE_TOKEN to an API token with invitations:write, results:read and webhooks:write');
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

// 0. A receiver for worksample's webhooks, registered with the events this round waits for.
type Hook = { type: string; data: { externalId?: string | null; attemptId?: string; decision?: string } };
const received: Hook[] = [];
let wake = () => {};
let secret = '';
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const check = verifyWebhook({ secret, header: req.headers['x-worksample-signature'] as string, body });
    if (!check.ok) {
      say('rejected', { delivery: req.headers['x-worksample-delivery'], reason: check.reason });
      res.writeHead(400).end();
      return;
    }
    received.push(JSON.parse(body.toString('utf8')) as Hook);
    res.writeHead(204).end();
    wake();
  });
});
await new Promise<void>((resolve) => receiver.listen(Number(args['receiver-port']), '127.0.0.1', resolve));
const port = (receiver.address() as { port: number }).port;
const hook = await call('POST', '/api/webhooks', {
  url: args['receiver-url'] ?? `http://127.0.0.1:${port}/worksample`,
  description: `ATS round ${externalId}`,
  events: ['attempt.submitted', 'decision.made'],
});
secret = hook.json.secret;
const endpointId: string = hook.json.endpoint.id;
say('listening', { endpointId, port });

/** The first verified event of `type` about this application, waiting for it until the timeout. */
async function event(type: string): Promise<Hook> {
  while (true) {
    const hit = received.find((h) => h.type === type && h.data.externalId === externalId);
    if (hit) return hit;
    const left = deadline - Date.now();
    if (left <= 0) fail(`no ${type} webhook for ${externalId} before the timeout`);
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, Math.min(left, 5000));
    });
  }
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

// 3. The candidate's submission and the hiring team's decision arrive as signed webhooks.
const submitted = await event('attempt.submitted');
const attemptId = submitted.data.attemptId!;
say('submitted', { attemptId });
const decided = await event('decision.made');
say('decided', { attemptId, decision: decided.data.decision });

// 4. The results for this application.
type Row = { attemptId: string; externalId: string | null; decision: string | null };
const { json } = await call('GET', `/api/export?format=json&externalId=${encodeURIComponent(externalId)}`);
const row = (json.rows as Row[]).find((r) => r.attemptId === attemptId);
if (!row) fail(`the results export has no row for ${externalId}`);
const { json: grade } = await call('GET', `/api/attempts/${attemptId}/grade`);
say('results', { externalId, row, grade: grade.grade ?? null });
await call('DELETE', `/api/webhooks/${endpointId}`);
receiver.close();
