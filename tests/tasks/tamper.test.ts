/**
 * The tamper corpus bites: two deliberately naive tasks (tests/fixtures/tasks/naive-*: hidden tests
 * run in the candidate's process, the report comes from stdout or the candidate's workspace) go
 * through `worksample tasks verify` in real sandboxes, and verify fails them naming the tampering
 * that worked, while every honest row (files, visible tests, starter, hidden tests) stays ok.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../helpers/require.ts';
import { sandboxesHint, sandboxesReady } from '../helpers/docker.ts';
import { repoRoot, runCli, type CliResult } from '../helpers/process.ts';
import { parseVerifyOutput, type VerifyRow } from './verify-output.ts';

const ready = await sandboxesReady();
const env = { SANDBOX_DRIVER: 'docker', LOG_LEVEL: 'warn' };
const fixture = (slug: string) => path.join(repoRoot, 'tests/fixtures/tasks', slug);

describe.runIf(needs('docker', ready, sandboxesHint))('tasks verify: tamper corpus', () => {
  let result: CliResult;
  let rows: Map<string, VerifyRow[]>;
  const of = (slug: string) => rows.get(path.normalize(fixture(slug)))!;
  const row = (slug: string, check: string) => of(slug).find((r) => r.check === check);

  beforeAll(async () => {
    result = await runCli(['tasks', 'verify', fixture('naive-node'), fixture('naive-python')], env);
    rows = parseVerifyOutput(result.stdout);
  }, 15 * 60_000);

  it('fails both naive tasks and exits 1', () => {
    expect(result.stdout, result.stderr).toContain('2 of 2 task(s) failed verification');
    expect(result.code).toBe(1);
  });

  it('keeps every honest row ok, so only tampering fails them', () => {
    for (const slug of ['naive-node', 'naive-python']) {
      const honest = of(slug).filter((r) => r.group !== 'tamper');
      expect(
        honest.filter((r) => !r.ok),
        result.stdout,
      ).toEqual([]);
      expect(honest.map((r) => r.check)).toEqual(
        expect.arrayContaining([
          'task files',
          'solution passes visible tests',
          'starter runs',
          'solution passes',
          'starter fails',
        ]),
      );
    }
  });

  it('node: names the tampering that fooled the grader', () => {
    expect(
      of('naive-node')
        .filter((r) => r.group === 'tamper')
        .map((r) => r.check),
    ).toEqual([
      'tamper: exit-at-import',
      'tamper: assert-noop',
      'tamper: exit-handler',
      'tamper: fake-stdout',
      'tamper: inherited-fd',
      'tamper: kill-parent',
      'tamper: detached-rewriter',
      'tamper: hidden-test-reader',
      'tamper: extra-tests',
      'tamper: runtime-config',
    ]);
    expect(row('naive-node', 'tamper: exit-at-import')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        /^TAMPERING WORKED: process\.exit\(0\) when a test imports the module — \d+ passed/,
      ),
    });
    expect(row('naive-node', 'tamper: assert-noop')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        /^TAMPERING WORKED: node:assert .* — 3 passed, 0 failed \(verdict passed\); starter 1 passed$/,
      ),
    });
  });

  it('python: names the tampering that fooled the grader', () => {
    expect(row('naive-python', 'tamper: conftest-hooks')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        /^TAMPERING WORKED: conftest\.py: .* — 3 passed, 0 failed \(verdict passed\); starter 1 passed$/,
      ),
    });
    expect(row('naive-python', 'tamper: exit-handler')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^TAMPERING WORKED: an atexit handler .* \(verdict passed\)/),
    });
    // A case that does not fool this grader is reported as resisted, with the numbers.
    expect(row('naive-python', 'tamper: extra-tests')).toMatchObject({
      ok: true,
      detail: 'resisted: 1 passed, 2 failed (verdict failed); starter 1 passed',
    });
  });
});
