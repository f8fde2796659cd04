import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseModelJson } from './parse-model-json.mjs';

const fail = (result) => {
  assert.equal(result.ok, false);
  assert.equal(typeof result.error, 'string');
  assert.ok(result.error.length > 0, 'error message must not be empty');
};

test('parses a plain JSON object with surrounding whitespace', () => {
  assert.deepEqual(parseModelJson('  \n{"a": [1, 2]}\n'), { ok: true, value: { a: [1, 2] } });
});

test('extracts JSON from a json code fence', () => {
  const reply = 'Sure!\n```json\n{"sentiment": "positive", "score": 0.92}\n```\n';
  assert.deepEqual(parseModelJson(reply), { ok: true, value: { sentiment: 'positive', score: 0.92 } });
});

test('extracts JSON from an unlabelled code fence', () => {
  assert.deepEqual(parseModelJson('Result:\n```\n{"x": true}\n```'), { ok: true, value: { x: true } });
});

test('uses the first fenced block when there are several', () => {
  const reply = '```json\n{"n": 1}\n```\nor maybe\n```json\n{"n": 2}\n```';
  assert.deepEqual(parseModelJson(reply), { ok: true, value: { n: 1 } });
});

test('ignores prose around an unfenced object', () => {
  const reply = 'The answer is {"city": "Oslo", "tags": ["a", "b"]} — hope that helps!';
  assert.deepEqual(parseModelJson(reply), { ok: true, value: { city: 'Oslo', tags: ['a', 'b'] } });
});

test('accepts a top-level array', () => {
  assert.deepEqual(parseModelJson('Items: [1, 2, 3]'), { ok: true, value: [1, 2, 3] });
});

test('reports malformed JSON inside a fence', () => {
  fail(parseModelJson('```json\n{"a": 1,,}\n```'));
});

test('reports a reply with no JSON at all', () => {
  fail(parseModelJson('I cannot help with that.'));
});

test('rejects JSON scalars', () => {
  fail(parseModelJson('42'));
  fail(parseModelJson('"hello"'));
});

test('rejects non-string input without throwing', () => {
  fail(parseModelJson(undefined));
  fail(parseModelJson(42));
});
