/**
 * `Run tests` through the HTTP API (local driver, hello-llm): the candidate's own test files run and
 * come back as a per-test list; file names and hidden-test look-alikes cannot make the hidden tests
 * run or leak, nor turn into runner options.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../testing/index.ts';
import { LocalDriver } from '../sandbox/index.ts';
import { silentLogger } from '../logger/index.ts';

const visible = readFileSync(
  path.join(import.meta.dirname, '../../tasks/hello-llm/starter/visible.test.mjs'),
  'utf8',
);
/** Names only the hidden tests have (some share a name with a visible test). */
const hiddenNames = [
  ...readFileSync(
    path.join(import.meta.dirname, '../../tasks/hello-llm/tests/hidden.test.mjs'),
    'utf8',
  ).matchAll(/test\('([^']+)'/g),
]
  .map((m) => m[1]!)
  .filter((n) => !visible.includes(`'${n}'`));

const HEAD = "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n";
const own = (name: string, body = '') => `${HEAD}${testCase(name, body)}`;
const testCase = (name: string, body = '') => `test(${JSON.stringify(name)}, () => {${body}});\n`;

describe('Run tests: own test files (local driver)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp({ driver: new LocalDriver({ logger: silentLogger, useBwrap: false }) });
    await t.importExample();
  });
  afterEach(async () => {
    await t.services.runs.settle();
    await t.close();
  });

  async function runTests() {
    const { browser, attemptId } = await t.startedCandidate();
    return {
      browser,
      attemptId,
      put: (p: string, content: string) =>
        t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, { path: p, content }),
      async run() {
        const start = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'test' });
        expect(start.status).toBe(202);
        await t.services.runs.settle();
        const r = await t.req(browser, 'GET', `/api/attempts/${attemptId}/runs/${start.json.run.id}`);
        return r.json.run as {
          argv: string[];
          stdout: string;
          tests: {
            tests: { name: string; status: string; location?: { file: string; line: number } }[];
            problem?: string;
          };
        };
      },
    };
  }

  it('lists visible and own tests with status, and points a failure at its file and line', async () => {
    const c = await runTests();
    expect(
      (await c.put('own.test.mjs', own('mine passes') + testCase('mine fails', '\n  assert.equal(1, 2);\n')))
        .status,
    ).toBe(200);
    const run = await c.run();
    expect(run.argv.at(-1)).toBe('./own.test.mjs');
    const byName = Object.fromEntries(run.tests.tests.map((x) => [x.name, x]));
    expect(byName['parses a plain JSON object']).toBeDefined();
    expect(byName['mine passes']).toMatchObject({ status: 'passed' });
    expect(byName['mine fails']).toMatchObject({
      status: 'failed',
      location: { file: 'own.test.mjs', line: 5 },
    });
  });

  it('a file named like the hidden test runs as the candidate’s own code; hidden tests neither run nor leak', async () => {
    expect(hiddenNames.length).toBeGreaterThan(3);
    const c = await runTests();
    await c.put('hidden.test.mjs', own('my look-alike'));
    await c.put('tests/hidden.test.mjs', own('my nested look-alike'));
    const run = await c.run();
    const names = run.tests.tests.map((x) => x.name);
    expect(names).toEqual(expect.arrayContaining(['my look-alike', 'my nested look-alike']));
    for (const h of hiddenNames) {
      expect(names).not.toContain(h);
      expect(run.stdout).not.toContain(h);
    }
  });

  it('a file name shaped like an option stays a file name', async () => {
    const c = await runTests();
    // As an option this would swap the TAP reporter for another and leave the panel empty.
    const put = await c.put('--test-reporter=spec.test.mjs', own('named like an option'));
    expect(put.status).toBe(200);
    const run = await c.run();
    expect(run.argv).toContain('./--test-reporter=spec.test.mjs');
    expect(run.tests.problem).toBeUndefined();
    expect(run.tests.tests.map((x) => x.name)).toContain('named like an option');
  });
});
