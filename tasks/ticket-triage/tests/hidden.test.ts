// Hidden tests for ticket-triage. Each ticket carries a unique CASE-… marker that llm/mock.yaml
// scripts, so every test sees its own sequence of model answers and faults.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { subject } from './worksample-harness.mjs';

// The candidate's src/triage.ts runs in the subject process; triage() is called across the bridge.
const { triage } = subject('src/triage.ts');

const T = { timeout: 20_000 };

const ticket = (marker: string, subject = 'Support request') => ({
  subject,
  body: `Hello team,\n\nPlease see below. Reference ${marker}.\n\nThanks, Dana`,
});

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

function assertFallback(result: unknown, reason: string, summary = 'Support request') {
  assert.deepEqual(result, { category: 'other', priority: 3, summary, source: 'fallback', reason });
}

test('returns the model classification for a well-formed answer', T, async () => {
  const result = await triage(ticket('CASE-BILLING-7Q', 'Charged twice'));
  assert.deepEqual(result, {
    category: 'billing',
    priority: 2,
    summary: 'Customer was charged twice for the March invoice and wants one charge refunded.',
    source: 'model',
  });
});

test('asks for JSON output with response_format and sends the ticket text', T, async () => {
  const openai = new OpenAI();
  const seen: Array<Record<string, any>> = [];
  // An OpenAI-shaped client whose create() records each request and forwards it to the real API.
  const client = {
    chat: {
      completions: {
        create: (body: any, opts?: any) => {
          seen.push(body);
          return openai.chat.completions.create(body, opts);
        },
      },
    },
  };
  const result = await triage(ticket('CASE-BILLING-7Q', 'Charged twice'), client);
  assert.equal(result.source, 'model');
  assert.ok(seen.length >= 1, 'the injected client was used');
  assert.ok(
    ['json_object', 'json_schema'].includes(seen[0]!.response_format?.type),
    `response_format was ${JSON.stringify(seen[0]!.response_format)}`,
  );
  assert.match(JSON.stringify(seen[0]!.messages), /CASE-BILLING-7Q/);
  assert.match(JSON.stringify(seen[0]!.messages), /Charged twice/);
});

test('rejects an answer outside the schema and falls back', T, async () => {
  // The model insists on category "urgent" and priority 9.
  assertFallback(await triage(ticket('CASE-BAD-SHAPE-3K')), 'malformed');
});

test('keeps summaries within 200 characters', T, async () => {
  const result = await triage(ticket('CASE-LONG-SUMMARY-8M'));
  assert.equal(result.source, 'model');
  assert.equal(result.category, 'feature');
  assert.equal(result.priority, 4);
  assert.ok(result.summary.length <= 200, `summary has ${result.summary.length} characters`);
  assert.ok(result.summary.startsWith('The customer asks for a CSV export of the audit log'));
});

test('retries after a 429 and waits for Retry-After', T, async () => {
  const { value, ms } = await timed(() => triage(ticket('CASE-RETRY-429-5T')));
  assert.deepEqual(value, {
    category: 'bug',
    priority: 1,
    summary: 'API returns 502 for every request from the EU region.',
    source: 'model',
  });
  assert.ok(ms >= 900, `answered after ${Math.round(ms)} ms; the 429 said Retry-After: 1`);
});

test('gives up after three rate-limited attempts', T, async () => {
  assertFallback(await triage(ticket('CASE-ALWAYS-429-2W')), 'rate_limited');
});

test('times out a slow model call after about 2 seconds', T, async () => {
  const { value, ms } = await timed(() => triage(ticket('CASE-SLOW-4D')));
  assertFallback(value, 'timeout');
  assert.ok(ms >= 1500, `gave up after ${Math.round(ms)} ms; expected about 2 s`);
  assert.ok(ms < 3500, `took ${Math.round(ms)} ms; expected about 2 s`);
});

test('re-asks once after malformed JSON', T, async () => {
  assert.deepEqual(await triage(ticket('CASE-MALFORMED-ONCE-6P')), {
    category: 'feature',
    priority: 3,
    summary: 'Customer would like SSO with Okta for their team.',
    source: 'model',
  });
});

test('falls back when the re-ask is malformed too', T, async () => {
  assertFallback(await triage(ticket('CASE-MALFORMED-TWICE-9B')), 'malformed');
});

test('falls back instead of throwing when the API keeps failing', T, async () => {
  assertFallback(await triage(ticket('CASE-SERVER-DOWN-1H')), 'error');
});

test('empty or missing tickets get the fallback without a model call', T, async () => {
  let calls = 0;
  const client = {
    chat: {
      completions: {
        create: async () => {
          calls++;
          throw new Error('no call expected');
        },
      },
    },
  };
  for (const empty of [
    { subject: '', body: '' },
    { subject: '  ', body: '\n\t ' },
    {},
    { subject: null, body: null },
    null,
  ]) {
    assertFallback(await triage(empty, client), 'empty', '');
  }
  assert.equal(calls, 0);
});

test('uses the body for the fallback summary when there is no subject', T, async () => {
  const result = await triage({
    subject: '',
    body: 'Reference CASE-SERVER-DOWN-1H. The export page is blank.',
  });
  assertFallback(result, 'error', 'Reference CASE-SERVER-DOWN-1H. The export page is blank.');
});
