/**
 * A candidate's attempt against the real Docker engine: a container from the warm pool at start,
 * Run and Run tests with live output, submit destroys the container, and grading runs the hidden
 * tests in a fresh container with a per-test report (TAP for node, JUnit for python).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleTaskDir, makeTestApp, repoRoot, type TestApp } from '../../server/testing/index.ts';
import { followEvents, stdoutOf } from '../../server/testing/sse.ts';
import { importTask } from '../../server/tasks/import.ts';
import { needs } from '../helpers/require.ts';
import { docker, sandboxesHint, sandboxesReady, makeDriver } from '../helpers/docker.ts';

const ready = await sandboxesReady();

describe.runIf(needs('docker', ready, sandboxesHint))('attempts in Docker sandboxes', () => {
  let t: TestApp;

  beforeEach(async () => {
    const driver = await makeDriver(65001);
    t = await makeTestApp({ driver, sandbox: { poolSize: 1, warmEnvs: ['node'] } });
    await t.importExample();
    await importTask(t.ctx, path.join(repoRoot, 'tests/fixtures/tasks/py-sum'));
  });
  afterEach(() => t.close());

  it('runs code live in a container taken at start, and grades the submission in a fresh one', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    await t.services.runs.settle(); // the attempt's container is claimed in the background at start
    const sandbox = await t.services.sandbox.existing(attemptId);
    expect(sandbox, 'a container is assigned at start').toBeDefined();
    const { session } = await sandbox!;
    const info = await docker.getContainer(session.id).inspect();
    expect(info.State.Running).toBe(true);

    const run = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'run' });
    const events = await followEvents(t, browser, attemptId, run.json.run.id);
    expect(stdoutOf(events)).toContain('not implemented');
    expect(events.at(-1)?.data).toMatchObject({ verdict: 'ok', exitCode: 0 });

    const solution = await readFile(path.join(exampleTaskDir, 'solution/parse-model-json.mjs'), 'utf8');
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'parse-model-json.mjs',
      content: solution,
    });
    const test = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'test' });
    const testEvents = await followEvents(t, browser, attemptId, test.json.run.id);
    expect(testEvents.at(-1)?.data.verdict).toBe('ok');

    await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.services.runs.settle();
    await expect(docker.getContainer(session.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const grade = await t.req(await t.staff('author'), 'GET', `/api/attempts/${attemptId}/grade`);
    expect(grade.json.grade).toMatchObject({ status: 'done', verdict: 'passed', failed: 0 });
    expect(grade.json.grade.passed).toBeGreaterThanOrEqual(8);
  });

  it('grades a wrong solution as failed with the failing tests named', async () => {
    const { browser, attemptId } = await t.startedCandidate('W', 'w@example.com');
    const wrong = await readFile(path.join(exampleTaskDir, 'wrong/no-fence/parse-model-json.mjs'), 'utf8');
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'parse-model-json.mjs',
      content: wrong,
    });
    await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.services.runs.settle();
    const { grade } = (await t.req(await t.staff('admin'), 'GET', `/api/attempts/${attemptId}/grade`)).json;
    expect(grade.verdict).toBe('failed');
    const failed = grade.tests
      .filter((x: { status: string }) => x.status === 'failed')
      .map((x: { name: string }) => x.name);
    expect(failed).toContain('extracts JSON from a json code fence');
  });

  it('grades a python task from its JUnit report, and a hostile submission fails without harming the server', async () => {
    const good = await t.startedCandidate('P', 'p@example.com', 'py-sum');
    const solution = await readFile(
      path.join(repoRoot, 'tests/fixtures/tasks/py-sum/solution/calc.py'),
      'utf8',
    );
    await t.req(good.browser, 'PUT', `/api/attempts/${good.attemptId}/file`, {
      path: 'calc.py',
      content: solution,
    });
    const hostile = await t.startedCandidate('H', 'h@example.com', 'py-sum');
    // Tries to replace the hidden tests, fork-bombs, and floods output.
    await t.req(hostile.browser, 'PUT', `/api/attempts/${hostile.attemptId}/file`, {
      path: 'test_hidden.py',
      content: 'def test_fake():\n    assert True\n',
    });
    await t.req(hostile.browser, 'PUT', `/api/attempts/${hostile.attemptId}/file`, {
      path: 'calc.py',
      content:
        'import os\nwhile True:\n    print("x" * 10000)\n    try:\n        os.fork()\n    except OSError:\n        pass\n',
    });
    await t.req(good.browser, 'POST', `/api/attempts/${good.attemptId}/submit`);
    await t.req(hostile.browser, 'POST', `/api/attempts/${hostile.attemptId}/submit`);
    await t.services.runs.settle();
    const admin = await t.staff('admin');
    const g1 = (await t.req(admin, 'GET', `/api/attempts/${good.attemptId}/grade`)).json.grade;
    // Only the hidden tests run at grading (the visible test_visible.py stays the candidate's).
    expect(g1, JSON.stringify(g1)).toMatchObject({ status: 'done', verdict: 'passed', passed: 3, failed: 0 });
    expect(g1.tests.map((x: { name: string }) => x.name)).toContain('test_hidden::test_skips_none');
    const g2 = (await t.req(admin, 'GET', `/api/attempts/${hostile.attemptId}/grade`)).json.grade;
    expect(g2.status).toBe('done');
    expect(g2.verdict).not.toBe('passed');
    expect((await t.req(admin, 'GET', '/api/ready')).json.ok).toBe(true);
  });

  it('leaves no containers behind once attempts are submitted and the pool is closed', async () => {
    const { browser, attemptId } = await t.startedCandidate('C', 'c@example.com');
    await t.services.runs.settle();
    const { session } = await t.services.sandbox.existing(attemptId)!;
    const held = await t.services.sandbox.sessionIds();
    expect(held).toContain(session.id);
    await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.services.runs.settle();
    await t.services.sandbox.close();
    for (const id of held)
      await expect(docker.getContainer(id).inspect(), id).rejects.toMatchObject({ statusCode: 404 });
  });
});
