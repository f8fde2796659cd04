/**
 * Runs and grading through the HTTP API with the local driver (real child processes on this machine;
 * the Docker driver has its own suite in tests/sandbox/).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exampleTaskDir, makeTestApp, type TestApp } from '../testing/index.ts';
import { followEvents } from '../testing/sse.ts';
import { LocalDriver } from '../sandbox/index.ts';
import { silentLogger } from '../logger/index.ts';

describe('runs and grading (local driver)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp({ driver: new LocalDriver({ logger: silentLogger, useBwrap: false }) });
    await t.importExample();
  });
  afterEach(() => t.close());

  it('runs the program and streams its output live, then records the run', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const start = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'run' });
    expect(start.status).toBe(202);
    const events = await followEvents(t, browser, attemptId, start.json.run.id);
    const stdout = events
      .filter((e) => e.event === 'stdout')
      .map((e) => e.data)
      .join('');
    expect(stdout).toContain('not implemented');
    expect(events.at(-1)).toMatchObject({ event: 'exit', data: { verdict: 'ok', exitCode: 0 } });
    const history = await t.req(browser, 'GET', `/api/attempts/${attemptId}/runs`);
    expect(history.json.runs[0]).toMatchObject({
      kind: 'run',
      status: 'done',
      verdict: 'ok',
      argv: ['node', 'main.mjs'],
    });
    expect(history.json.runs[0].stdout).toContain('not implemented');
  });

  it('runs the visible tests against the edited workspace', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const failing = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'test' });
    const before = await followEvents(t, browser, attemptId, failing.json.run.id);
    expect(before.at(-1)?.data.verdict).toBe('error');
    const solution = await readFile(path.join(exampleTaskDir, 'solution/parse-model-json.mjs'), 'utf8');
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'parse-model-json.mjs',
      content: solution,
    });
    const passing = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'test' });
    const after = await followEvents(t, browser, attemptId, passing.json.run.id);
    expect(after.at(-1)?.data.verdict).toBe('ok');
  });

  it('passes stdin to an interactive run and lets the candidate cancel a run', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'echo.mjs',
      content: "process.stdin.on('data', (d) => console.log('got ' + d.toString().trim()));\n",
    });
    // The task's run command is fixed (node main.mjs); make main.mjs the echo program.
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'main.mjs',
      content: "import './echo.mjs';\n",
    });
    const run = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, {
      kind: 'run',
      interactive: true,
    });
    const id = run.json.run.id;
    // stdin is accepted once the program is running.
    let sent = 0;
    for (let i = 0; i < 200 && sent !== 204; i++) {
      sent = (
        await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs/${id}/stdin`, { data: 'hello\n' })
      ).status;
      if (sent !== 204) await new Promise((r) => setTimeout(r, 25));
    }
    expect(sent).toBe(204);
    // Cancel once the echo is visible, as a candidate would after seeing the answer.
    let cancelled: Promise<unknown> | undefined;
    const events = await followEvents(t, browser, attemptId, id, (e) => {
      if (e.event === 'stdout' && String(e.data).includes('got hello')) {
        cancelled ??= t
          .req(browser, 'POST', `/api/attempts/${attemptId}/runs/${id}/cancel`)
          .then((r) => expect(r.status).toBe(204));
      }
    });
    await cancelled;
    expect(
      events
        .filter((e) => e.event === 'stdout')
        .map((e) => e.data)
        .join(''),
    ).toContain('got hello');
    expect(events.at(-1)).toMatchObject({ event: 'exit', data: { verdict: 'cancelled' } });
    expect((await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs/${id}/cancel`)).status).toBe(409);
  });

  it('grades a submission with the hidden tests and shows staff a per-test report', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const solution = await readFile(path.join(exampleTaskDir, 'solution/parse-model-json.mjs'), 'utf8');
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'parse-model-json.mjs',
      content: solution,
    });
    await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.services.runs.settle();
    const author = await t.staff('author');
    const grade = await t.req(author, 'GET', `/api/attempts/${attemptId}/grade`);
    expect(grade.json.grade).toMatchObject({ status: 'done', verdict: 'passed', failed: 0 });
    expect(grade.json.grade.passed).toBeGreaterThanOrEqual(8);
    expect(grade.json.grade.tests.map((x: { name: string }) => x.name)).toContain(
      'extracts JSON from a json code fence',
    );
    // The candidate cannot see hidden-test results.
    expect((await t.req(browser, 'GET', `/api/attempts/${attemptId}/grade`)).status).toBe(401);
  });

  it('grades the untouched starter as failed, naming the failing tests', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.services.runs.settle();
    const grade = await t.req(await t.staff('admin'), 'GET', `/api/attempts/${attemptId}/grade`);
    expect(grade.json.grade).toMatchObject({ status: 'done', verdict: 'failed' });
    expect(grade.json.grade.failed).toBeGreaterThan(0);
    const failed = grade.json.grade.tests.filter((x: { status: string }) => x.status === 'failed');
    expect(failed[0].message).toBeTruthy();
  });
});
