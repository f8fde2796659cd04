// Visible tests: node --import tsx --test visible.test.ts  (more tests run when you submit)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type OpenAI from 'openai';
import { triage } from './src/triage.ts';

test('triages a billing ticket', { timeout: 15_000 }, async () => {
  const result = await triage({
    subject: 'Charged twice this month',
    body: 'My card was charged twice for the March invoice. Please refund one.',
  });
  assert.equal(result.source, 'model');
  assert.equal(result.category, 'billing');
  assert.ok([1, 2, 3, 4].includes(result.priority));
  assert.ok(result.summary.length > 0 && result.summary.length <= 200);
});

test('an empty ticket gets the fallback without a model call', { timeout: 15_000 }, async () => {
  const client = {
    chat: { completions: { create: () => assert.fail('the model must not be called for an empty ticket') } },
  } as unknown as OpenAI;
  const result = await triage({ subject: ' ', body: '' }, client);
  assert.deepEqual(result, {
    category: 'other',
    priority: 3,
    summary: '',
    source: 'fallback',
    reason: 'empty',
  });
});
