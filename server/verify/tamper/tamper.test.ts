/**
 * The tamper corpus builder on the shipped starters: every case is the starter plus its attack,
 * aimed at the modules the tests import, carrying the real hidden test names. (Whether a case fools
 * a grader is proven in real sandboxes by tests/tasks/tamper.test.ts.)
 */
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadTaskDir, type LoadedTask } from '../../tasks/index.ts';
import { judgeTamper, tamperCorpus } from './index.ts';
import { parseJunit, parseTap } from '../../grading/index.ts';
import type { GradeView } from '../../grading-jobs/index.ts';

const repo = path.resolve(import.meta.dirname, '../../..');
async function task(slug: string): Promise<LoadedTask> {
  const r = await loadTaskDir(path.join(repo, 'tasks', slug));
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.task;
}
const text = (c: { files: Array<{ path: string; content: Buffer }> }, p: string) =>
  c.files.find((f) => f.path === p)?.content.toString('utf8');

describe('node starters', () => {
  it('hello-llm: every case, each touching the tested module or adding its own files', async () => {
    const corpus = tamperCorpus(await task('hello-llm'));
    expect(corpus.map((c) => c.id)).toEqual([
      'exit-at-import',
      'assert-noop',
      'exit-handler',
      'fake-stdout',
      'inherited-fd',
      'kill-parent',
      'detached-rewriter',
      'hidden-test-reader',
      'extra-tests',
      'runtime-config',
    ]);
    const exit = corpus.find((c) => c.id === 'exit-at-import')!;
    // The module the hidden tests import gets the attack on top; the demo and the tests do not.
    expect(exit.files.map((f) => f.path)).toEqual(['parse-model-json.mjs']);
    const module = text(exit, 'parse-model-json.mjs')!;
    expect(module).toMatch(/^import \* as __tfs from 'node:fs';/);
    expect(module).toContain('process.exit(0);');
    expect(module).toContain('export function parseModelJson(text)');
    expect(
      text(
        corpus.find((c) => c.id === 'extra-tests')!,
        'zz-tamper.test.mjs',
      ),
    ).toContain('"extracts JSON from a json code fence"');
    expect(
      text(
        corpus.find((c) => c.id === 'runtime-config')!,
        '.npmrc',
      ),
    ).toBe('node-options=--import ./zz-tamper-hook.mjs\n');
  });

  it('the forged TAP names every hidden test and reads as a full pass', async () => {
    const corpus = tamperCorpus(await task('hello-llm'));
    const module = text(
      corpus.find((c) => c.id === 'fake-stdout')!,
      'parse-model-json.mjs',
    )!;
    const tap = JSON.parse(/process\.stdout\.write\(("(?:\\.|[^"\\])*")\)/.exec(module)![1]!) as string;
    const r = parseTap(tap);
    // hidden.test.mjs holds 10 tests (the grade's other 3 are the visible ones).
    expect(r).toMatchObject({ passed: 10, failed: 0 });
    expect(r.problem).toBeUndefined();
    expect(r.tests.map((t) => t.name)).toContain('extracts JSON from an unlabelled code fence');
  });

  it('ticket-triage: a node_modules shadow of the package the grade command preloads (tsx)', async () => {
    const corpus = tamperCorpus(await task('ticket-triage'));
    const config = corpus.find((c) => c.id === 'runtime-config')!;
    expect(config.files.map((f) => f.path).sort()).toEqual([
      '.npmrc',
      'node_modules/tsx/index.mjs',
      'node_modules/tsx/package.json',
      'package.json',
      'zz-tamper-hook.mjs',
    ]);
    // The starter's package.json keeps its fields.
    expect(JSON.parse(text(config, 'package.json')!)).toMatchObject({
      type: 'module',
      imports: { '#tamper': './zz-tamper-hook.mjs' },
    });
    const exit = corpus.find((c) => c.id === 'exit-at-import')!;
    expect(exit.files.map((f) => f.path).sort()).toEqual(['src/triage.ts', 'src/types.ts']);
  });

  it('every node module stays valid JavaScript with its attack on top', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ws-tamper-'));
    try {
      for (const c of tamperCorpus(await task('hello-llm'))) {
        for (const f of c.files.filter((x) => /\.m?js$/.test(x.path))) {
          const file = path.join(dir, c.id, f.path);
          await mkdir(path.dirname(file), { recursive: true });
          await writeFile(file, f.content);
          execFileSync(process.execPath, ['--check', file]);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('python starters', () => {
  it('rag-citations: module attacks, pytest hooks and config, the forged JUnit', async () => {
    const corpus = tamperCorpus(await task('rag-citations'));
    expect(corpus.map((c) => c.id)).toEqual([
      'exit-at-import',
      'assert-patch',
      'conftest-hooks',
      'pytest-config',
      'sitecustomize',
      'exit-handler',
      'fake-stdout',
      'inherited-fd',
      'kill-parent',
      'detached-rewriter',
      'hidden-test-reader',
      'extra-tests',
    ]);
    const exit = corpus.find((c) => c.id === 'exit-at-import')!;
    expect(exit.files.map((f) => f.path)).toEqual(['rag.py']); // not main.py, not test_visible.py
    expect(text(exit, 'rag.py')).toContain('os._exit(0)');
    const conftest = text(
      corpus.find((c) => c.id === 'conftest-hooks')!,
      'conftest.py',
    )!;
    expect(conftest).toContain('def pytest_runtest_makereport(item, call):');
    const junit = JSON.parse(/fh\.write\(("(?:\\.|[^"\\])*")\)/.exec(conftest)![1]!) as string;
    const r = parseJunit(junit);
    expect(r).toMatchObject({ passed: 11, failed: 0 });
    expect(r.problem).toBeUndefined();
    expect(r.tests[0]!.name).toBe('test_hidden::test_rank_orders_by_shared_terms_and_drops_unrelated');
    const config = corpus.find((c) => c.id === 'pytest-config')!;
    expect(config.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['pytest.ini', 'pyproject.toml', 'setup.cfg', 'tox.ini', 'zz_tamper_plugin.py']),
    );
  });

  it('eval-harness: the attack goes into both modules the tests import', async () => {
    const exit = tamperCorpus(await task('eval-harness')).find((c) => c.id === 'exit-at-import')!;
    expect(exit.files.map((f) => f.path).sort()).toEqual(['graders.py', 'harness.py']);
  });

  it.runIf(hasPython())('every python file compiles', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ws-tamper-'));
    try {
      const files: string[] = [];
      for (const slug of ['rag-citations', 'eval-harness'])
        for (const c of tamperCorpus(await task(slug)))
          for (const f of c.files.filter((x) => x.path.endsWith('.py'))) {
            const file = path.join(dir, slug, c.id, f.path);
            await mkdir(path.dirname(file), { recursive: true });
            await writeFile(file, f.content);
            files.push(file);
          }
      expect(files.length).toBeGreaterThan(20);
      // One interpreter for all files: starting python is the slow part.
      execFileSync('python3', [
        '-c',
        'import py_compile, sys\nfor f in sys.argv[1:]: py_compile.compile(f, doraise=True)',
        ...files,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function hasPython() {
  try {
    execFileSync('python3', ['--version']);
    return true;
  } catch {
    return false;
  }
}

describe('judging a case', () => {
  const grade = (passed: number, failed: number, verdict: string): GradeView => ({
    id: 'g',
    attemptId: 'a',
    status: 'done',
    reason: 'submit',
    requestedBy: null,
    note: null,
    tries: 1,
    maxTries: 6,
    nextRunAt: null,
    lastError: null,
    verdict,
    passed,
    failed,
    skipped: 0,
    tests: [],
    stdout: '',
    stderr: '',
    error: null,
    createdAt: 0,
    startedAt: 0,
    finishedAt: 0,
    supersededAt: null,
  });
  const c = { id: 'exit-at-import', title: 'process.exit(0) when a test imports the module' };
  const starter = grade(5, 8, 'failed');

  it('names the tampering that scored above the starter', () => {
    expect(judgeTamper(c, grade(13, 0, 'passed'), starter)).toEqual({
      ok: false,
      detail:
        'TAMPERING WORKED: process.exit(0) when a test imports the module — 13 passed, 0 failed (verdict passed); starter 5 passed',
    });
    expect(judgeTamper(c, grade(6, 8, 'failed'), starter).ok).toBe(false);
    expect(judgeTamper(c, grade(1, 0, 'passed'), starter).ok).toBe(false);
  });

  it('lets a case that scores no better through', () => {
    expect(judgeTamper(c, grade(5, 8, 'failed'), starter)).toMatchObject({ ok: true });
    expect(judgeTamper(c, grade(0, 0, 'failed'), starter)).toMatchObject({ ok: true });
    expect(
      judgeTamper(c, { ...grade(0, 0, 'error'), status: 'failed', verdict: null, error: 'boom' }, starter),
    ).toMatchObject({
      ok: true,
      detail: 'resisted: not graded (boom)',
    });
  });

  it('cannot judge without a starter grade', () => {
    expect(judgeTamper(c, grade(5, 8, 'failed'), undefined).ok).toBe(false);
  });
});
