import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseModelJson } from './parse-model-json.mjs';

test('parses a plain JSON object', () => {
  assert.deepEqual(parseModelJson('{"a": 1}'), { ok: true, value: { a: 1 } });
});

test('extracts JSON from a json code fence', () => {
  const reply = 'Here you go:\n```json\n{"sentiment": "positive"}\n```\nAnything else?';
  assert.deepEqual(parseModelJson(reply), { ok: true, value: { sentiment: 'positive' } });
});

test('reports malformed JSON without throwing', () => {
  const result = parseModelJson('{"a": 1,');
  assert.equal(result.ok, false);
  assert.equal(typeof result.error, 'string');
  assert.ok(result.error.length > 0);
});
