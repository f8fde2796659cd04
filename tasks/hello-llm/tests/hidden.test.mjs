import assert from 'node:assert/strict';
import { test } from 'node:test';
// The candidate's module runs in the subject process; every export is an async function here.
import { subject } from './worksample-harness.mjs';

const { parseModelJson } = subject('parse-model-json.mjs');

const fail = async (pending) => {
  const result = await pending;
  assert.equal(result.ok, false);
  assert.equal(typeof result.error, 'string');
  assert.ok(result.error.length > 0, 'error message must not be empty');
};

test('parses a plain JSON object with surrounding whitespace', async () => {
  assert.deepEqual(await parseModelJson('  \n{"a": [1, 2]}\n'), { ok: true, value: { a: [1, 2] } });
});

test('extracts JSON from a json code fence', async () => {
  const reply = 'Sure!\n```json\n{"sentiment": "positive", "score": 0.92}\n```\n';
  assert.deepEqual(await parseModelJson(reply), { ok: true, value: { sentiment: 'positive', score: 0.92 } });
});

test('extracts JSON from an unlabelled code fence', async () => {
  assert.deepEqual(await parseModelJson('Result:\n```\n{"x": true}\n```'), { ok: true, value: { x: true } });
});

test('uses the first fenced block when there are several', async () => {
  const reply = '```json\n{"n": 1}\n```\nor maybe\n```json\n{"n": 2}\n```';
  assert.deepEqual(await parseModelJson(reply), { ok: true, value: { n: 1 } });
});

test('ignores prose around an unfenced object', async () => {
  const reply = 'The answer is {"city": "Oslo", "tags": ["a", "b"]} — hope that helps!';
  assert.deepEqual(await parseModelJson(reply), { ok: true, value: { city: 'Oslo', tags: ['a', 'b'] } });
});

test('accepts a top-level array', async () => {
  assert.deepEqual(await parseModelJson('Items: [1, 2, 3]'), { ok: true, value: [1, 2, 3] });
});

test('reports malformed JSON inside a fence', async () => {
  await fail(parseModelJson('```json\n{"a": 1,,}\n```'));
});

test('reports a reply with no JSON at all', async () => {
  await fail(parseModelJson('I cannot help with that.'));
});

test('rejects JSON scalars', async () => {
  await fail(parseModelJson('42'));
  await fail(parseModelJson('"hello"'));
});

test('rejects non-string input without throwing', async () => {
  await fail(parseModelJson(undefined));
  await fail(parseModelJson(42));
});
