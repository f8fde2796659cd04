/**
 * `Run tests` on the real Docker engine through the product path: a candidate's own test file runs
 * after the visible ones and comes back as a per-test list with file:line — TAP from node --test
 * (ticket-triage, TypeScript through tsx) and JUnit from pytest (rag-citations), read out of the
 * sandbox after the run.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostFirewall } from '../../server/sandbox/index.ts';
import { defaultLimits } from '../../server/sandbox/types.ts';
import { makeTestApp, type TestApp } from '../../server/testing/index.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesReady, makeDriver } from '../helpers/docker.ts';
import { freePort, repoRoot } from '../helpers/process.ts';

const ready = await sandboxesReady(['node', 'python']);
const firewall = ready ? await hostFirewall() : undefined;

describe.runIf(
  needs(
    'docker',
    ready && Boolean(firewall?.available),
    'install docker.io and iptables, build the sandboxes',
  ),
)('Run tests with own test files (Docker)', () => {
  let t: TestApp;
  beforeEach(async () => {
    const gatewayPort = await freePort();
    const driver = await makeDriver(gatewayPort, { firewall });
    t = await makeTestApp({
      driver,
      env: { GATEWAY_PORT: String(gatewayPort) },
      sandbox: { poolSize: 0, limits: { ...defaultLimits, wallMs: 120_000 } },
    });
  });
  afterEach(async () => {
    await t.close();
    await t.services.gateway.close();
  });

  async function runTests(task: string, file: string, content: string) {
    await t.importExample(path.join(repoRoot, 'tasks', task));
    const { browser, attemptId } = await t.startedCandidate(undefined, `${task}@example.com`, task);
    expect(
      (await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, { path: file, content })).status,
    ).toBe(200);
    const start = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'test' });
    expect(start.status).toBe(202);
    await t.services.runs.settle();
    const run = (await t.req(browser, 'GET', `/api/attempts/${attemptId}/runs/${start.json.run.id}`)).json
      .run;
    return Object.fromEntries(
      (run.tests.tests as { name: string; status: string; location?: unknown }[]).map((x) => [x.name, x]),
    );
  }

  it('node: own.test.ts (TAP)', { timeout: 180_000 }, async () => {
    const tests = await runTests(
      'ticket-triage',
      'own.test.ts',
      "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n\ntest('own ok', () => {});\ntest('own bad', () => {\n  assert.equal(1, 2);\n});\n",
    );
    expect(tests['own ok']).toMatchObject({ status: 'passed' });
    expect(tests['own bad']).toMatchObject({ status: 'failed', location: { file: 'own.test.ts', line: 6 } });
  });

  it('python: test_mine.py (JUnit read back from the sandbox)', { timeout: 180_000 }, async () => {
    const tests = await runTests(
      'rag-citations',
      'test_mine.py',
      'def test_own_ok():\n    assert True\n\n\ndef test_own_bad():\n    assert 1 == 2\n',
    );
    expect(tests['test_mine::test_own_ok']).toMatchObject({ status: 'passed' });
    expect(tests['test_mine::test_own_bad']).toMatchObject({
      status: 'failed',
      location: { file: 'test_mine.py', line: 5 },
    });
    expect(Object.keys(tests).some((n) => n.startsWith('test_visible::'))).toBe(true);
  });
});
