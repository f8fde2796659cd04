/**
 * `tasks verify` reports a broken task clearly. Runs the real CLI against the real engine, without
 * the tamper corpus (tests/tasks/tamper.test.ts covers it). Every shipped task is verified from a
 * fresh clone by tests/tasks/fresh-clone.test.ts.
 */
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../helpers/require.ts';
import { sandboxesHint, sandboxesReady } from '../helpers/docker.ts';
import { repoRoot, runCli, tempDir } from '../helpers/process.ts';

const ready = await sandboxesReady();
const env = { SANDBOX_DRIVER: 'docker', LOG_LEVEL: 'warn' };

// Each verify grades several submissions in sandboxes: minutes on a busy CI host.
describe.runIf(needs('docker', ready, sandboxesHint))('tasks verify', { timeout: 300_000 }, () => {
  it('reports a data file missing from the package and the visible tests it breaks', async () => {
    const tmp = await tempDir();
    try {
      const dir = path.join(tmp.dir, 'rag-citations');
      await cp(path.join(repoRoot, 'tasks/rag-citations'), dir, { recursive: true });
      await rm(path.join(dir, 'starter/data'), { recursive: true });
      const r = await runCli(['tasks', 'verify', '--skip-tamper', dir], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /FAIL {2}task files +missing from the package: data\/handbook\.json \(named in statement\.md\), data\/handbook\.json \(named in starter\/main\.py\), data\/handbook\.json \(named in starter\/test_visible\.py\)/,
      );
      expect(r.stdout).toMatch(/FAIL {2}solution passes visible tests +0 passed, \d+ failed; verdict error/);
      expect(r.stdout).toMatch(
        /FAIL {2}starter runs +verdict error, exit 1: .*FileNotFoundError: .*data\/handbook\.json/s,
      );
      // The hidden tests do not read the file, so grading still passes the solution.
      expect(r.stdout).toMatch(/ok {4}solution passes +11 passed, 0 failed/);
      expect(r.stdout).not.toContain('tamper:');
    } finally {
      await tmp.remove();
    }
  });

  it('reports a reference solution that fails its own hidden tests', async () => {
    const tmp = await tempDir();
    try {
      const dir = path.join(tmp.dir, 'hello-llm');
      await cp(path.join(repoRoot, 'tasks/hello-llm'), dir, { recursive: true });
      await cp(
        path.join(dir, 'starter/parse-model-json.mjs'),
        path.join(dir, 'solution/parse-model-json.mjs'),
      );
      const r = await runCli(['tasks', 'verify', '--skip-tamper', dir], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/FAIL {2}solution passes\s+5 passed, 8 failed \(verdict failed\); failing: /);
    } finally {
      await tmp.remove();
    }
  });

  describe('on a broken task', () => {
    let tmp: Awaited<ReturnType<typeof tempDir>>;
    let dir: string;
    beforeAll(async () => {
      tmp = await tempDir();
      dir = path.join(tmp.dir, 'hello-llm');
      await cp(path.join(repoRoot, 'tasks/hello-llm'), dir, { recursive: true });
      // The starter now contains the solution, and the "wrong" solution is the right one.
      const solution = path.join(dir, 'solution/parse-model-json.mjs');
      await cp(solution, path.join(dir, 'starter/parse-model-json.mjs'));
      await cp(solution, path.join(dir, 'wrong/no-fence/parse-model-json.mjs'));
    });
    afterAll(() => tmp.remove());

    it('names each failed check and exits 1', async () => {
      const r = await runCli(['tasks', 'verify', '--skip-tamper', dir], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/ok {2}\s*solution passes/);
      expect(r.stdout).toMatch(/FAIL {2}starter fails\s+13 passed, 0 failed \(verdict passed\)/);
      expect(r.stdout).toMatch(
        /FAIL {2}wrong\/no-fence fails .*should have failed: extracts JSON from a json code fence/,
      );
      expect(r.stdout).toContain('1 of 1 task(s) failed verification');
    });

    it('reports a mock script that does not parse', async () => {
      await writeFile(path.join(dir, 'llm/mock.yaml'), 'rules:\n  - match: { content: "(" }\n    reply: x\n');
      const r = await runCli(['tasks', 'verify', '--skip-tamper', dir], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /FAIL {2}mock script\s+llm\/mock\.yaml: rules\[0\]\.match\.content: invalid regular expression/,
      );
    });

    it('reports a bad rubric without running anything', async () => {
      const yaml = path.join(dir, 'task.yaml');
      await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('weight: 2', 'weight: -2'));
      const r = await runCli(['tasks', 'verify', '--skip-tamper', dir], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('rubric.criteria[0].weight: expected a positive number');
      expect(r.stdout).not.toContain('solution passes');
    });
  });
});

// Critique tasks get static checks only (no sandbox), so these run without Docker.
describe('tasks verify: critique answer key', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let dir: string;
  let key: string;
  beforeAll(async () => {
    tmp = await tempDir();
    dir = path.join(tmp.dir, 'critique-support-bot');
    await cp(path.join(repoRoot, 'tasks/critique-support-bot'), dir, { recursive: true });
    key = path.join(dir, 'key/flaws.yaml');
  });
  afterAll(() => tmp.remove());

  it('reports a span that does not occur exactly once in the outputs', async () => {
    const source = await readFile(path.join(repoRoot, 'tasks/critique-support-bot/key/flaws.yaml'), 'utf8');
    await writeFile(
      key,
      source
        .replace("span: 'take about 3 minutes'", "span: 'take about 30 minutes'")
        .replace("span: 'contact support@parcelhub.io about a higher limit'", "span: 'the'"),
    );
    const r = await runCli(['tasks', 'verify', dir], {});
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /FAIL {2}answer key {2}key\/flaws\.yaml: flaws\[1\]\.span: "take about 30 minutes" occurs 0 times in the outputs \(expected exactly once\)/,
    );
    expect(r.stdout).toMatch(/key\/flaws\.yaml: notFlaws\[4\]\.span: "the" occurs \d+ times in the outputs/);
    expect(r.stdout).toContain('1 of 1 task(s) failed verification');
  });

  it('reports a key of the wrong shape', async () => {
    await writeFile(key, 'flaws:\n  - id: a-flaw\n    category: logic-bug\n    spam: typo\nnotFlaws: []\n');
    const r = await runCli(['tasks', 'verify', dir], {});
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}answer key {2}key\/flaws\.yaml: /);
    expect(r.stdout).toContain('key/flaws.yaml: flaws[0].span: required');
    expect(r.stdout).toContain('key/flaws.yaml: flaws[0].spam: unknown key');
  });
});
