/**
 * Forged verdicts, tried through the product in real Docker: a candidate is invited, opens the link,
 * starts, writes files through the files API and submits; staff read the grade. Every submission in
 * tests/grading/attacks.ts cheats instead of solving the task (exit 0 at import, no-op assertions,
 * report-rewriting hooks, exit handlers, fake TAP/JUnit, writes to other processes' descriptors,
 * killing the parent, runtime-config and package shadows, reading the hidden tests…). Each must grade
 * `failed` with no more passed tests than the untouched starter, while the reference solution still
 * grades `passed`, and no hidden test text may reach the candidate's code.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostFirewall } from '../../server/sandbox/index.ts';
import { exampleTaskDir, makeTestApp, repoRoot, type TestApp } from '../../server/testing/index.ts';
import { importTask } from '../../server/tasks/import.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesHint, sandboxesReady, makeDriver } from '../helpers/docker.ts';
import { HIDDEN_MARKERS, NODE_ATTACKS, PY_ATTACKS, type Attack } from './attacks.ts';

const ready = await sandboxesReady();
const firewall = ready ? await hostFirewall() : undefined;

interface Grade {
  status: string;
  verdict: string | null;
  passed: number;
  failed: number;
  tests: Array<{ name: string; status: string; message?: string }>;
  stdout: string;
  stderr: string;
  error: string | null;
}

/** Submits each variant as its own candidate through the HTTP API and returns staff's view of the grades. */
async function gradeAll(
  t: TestApp,
  taskSlug: string,
  variants: Array<{ name: string; files: Record<string, string> }>,
): Promise<Map<string, Grade>> {
  const attempts = await Promise.all(
    variants.map(async (v, i) => {
      const c = await t.startedCandidate(v.name, `${taskSlug}-${i}@example.com`, taskSlug);
      for (const [file, content] of Object.entries(v.files)) {
        const put = await t.req(c.browser, 'PUT', `/api/attempts/${c.attemptId}/file`, {
          path: file,
          content,
        });
        expect(put.status, `${v.name}: PUT ${file}: ${put.text}`).toBeLessThan(300);
      }
      const submit = await t.req(c.browser, 'POST', `/api/attempts/${c.attemptId}/submit`);
      expect(submit.status, submit.text).toBe(200);
      return { name: v.name, attemptId: c.attemptId };
    }),
  );
  await t.services.runs.settle();
  const admin = await t.staff('admin');
  const grades = new Map<string, Grade>();
  for (const a of attempts)
    grades.set(a.name, (await t.req(admin, 'GET', `/api/attempts/${a.attemptId}/grade`)).json.grade as Grade);
  return grades;
}

const candidateOutput = (g: Grade) => g.stdout.split("--- output of the candidate's code ---")[1] ?? '';

function expectNoBetterThanStarter(g: Grade | undefined, starter: Grade, what: string) {
  const shown = JSON.stringify({ ...g, stdout: g?.stdout.slice(-3000), stderr: g?.stderr.slice(-3000) });
  expect(g, what).toBeDefined();
  expect(g!.status, shown).toBe('done');
  expect(g!.verdict, shown).not.toBe('passed');
  expect(g!.passed, shown).toBeLessThanOrEqual(starter.passed);
}

describe.runIf(
  needs(
    'docker',
    ready && Boolean(firewall?.available),
    `${sandboxesHint}; the LLM tasks also need iptables as root`,
  ),
)('hidden-test verdicts cannot be forged by the candidate', () => {
  let t: TestApp;

  beforeAll(async () => {
    const driver = await makeDriver(65002, { firewall });
    t = await makeTestApp({ driver, sandbox: { poolSize: 0, maxConcurrent: 3 } });
    await t.importExample();
    await importTask(t.ctx, path.join(repoRoot, 'tests/fixtures/tasks/py-sum'));
  });
  afterAll(() => t?.close());

  describe('node task (hello-llm)', () => {
    let grades: Map<string, Grade>;
    beforeAll(async () => {
      const solution = await readFile(path.join(exampleTaskDir, 'solution/parse-model-json.mjs'), 'utf8');
      grades = await gradeAll(t, 'hello-llm', [
        { name: 'starter', files: {} },
        { name: 'reference', files: { 'parse-model-json.mjs': solution } },
        ...NODE_ATTACKS,
      ]);
    }, 1_200_000);

    it('grades the reference solution passed and the starter failed', () => {
      expect(grades.get('reference'), JSON.stringify(grades.get('reference'))).toMatchObject({
        status: 'done',
        verdict: 'passed',
        passed: 10,
        failed: 0,
      });
      expect(grades.get('starter')).toMatchObject({ status: 'done', verdict: 'failed' });
    });

    it.each(NODE_ATTACKS.map((a: Attack) => [a.name]))(
      '%s: graded failed, no better than the starter',
      (name) => {
        const g = grades.get(name);
        expectNoBetterThanStarter(g, grades.get('starter')!, name);
        expect(candidateOutput(g!)).not.toContain(HIDDEN_MARKERS.node);
        expect(JSON.stringify(g)).not.toContain(HIDDEN_MARKERS.node);
      },
    );

    it('shows staff which candidate files were left out of grading', () => {
      const g = grades.get('shadows node:test, node:assert, openai and tsx with node_modules')!;
      expect(g.stderr).toContain('left out of grading: node_modules/openai/index.js');
      expect(g.stderr).toContain('left out of grading: .npmrc');
    });
  });

  describe('python task (py-sum)', () => {
    let grades: Map<string, Grade>;
    beforeAll(async () => {
      const solution = await readFile(
        path.join(repoRoot, 'tests/fixtures/tasks/py-sum/solution/calc.py'),
        'utf8',
      );
      grades = await gradeAll(t, 'py-sum', [
        { name: 'starter', files: {} },
        { name: 'reference', files: { 'calc.py': solution } },
        ...PY_ATTACKS,
      ]);
    }, 1_200_000);

    it('grades the reference solution passed and the starter failed', () => {
      expect(grades.get('reference'), JSON.stringify(grades.get('reference'))).toMatchObject({
        status: 'done',
        verdict: 'passed',
        passed: 3,
        failed: 0,
      });
      expect(grades.get('starter')).toMatchObject({ status: 'done', verdict: 'failed', passed: 0 });
    });

    it.each(PY_ATTACKS.map((a: Attack) => [a.name]))(
      '%s: graded failed, no better than the starter',
      (name) => {
        const g = grades.get(name);
        expectNoBetterThanStarter(g, grades.get('starter')!, name);
        expect(JSON.stringify(g)).not.toContain(HIDDEN_MARKERS.python);
      },
    );

    it('names the failure when the candidate module cannot load', () => {
      const g = grades.get('sys.exit(0) at import')!;
      expect(g.tests.map((x) => x.message ?? '').join('\n')).toMatch(
        /calc could not be loaded: the candidate code raised SystemExit: 0/,
      );
    });
  });
});
