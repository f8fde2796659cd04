/**
 * CI fresh-clone verify: every shipped task verifies from a `git clone` of the working tree's HEAD,
 * so a file that exists only locally (ignored by .gitignore, never committed) fails here instead of
 * on a new user's machine. Runs the real CLI (`worksample tasks verify`) on the clone's task folders,
 * in real sandboxes, once for all tasks.
 */
import { execFileSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../helpers/require.ts';
import { sandboxesHint, sandboxesReady } from '../helpers/docker.ts';
import { repoRoot, runCli, tempDir, type CliResult } from '../helpers/process.ts';
import { parseVerifyOutput, type VerifyRow } from './verify-output.ts';

const ready = await sandboxesReady();
const env = { SANDBOX_DRIVER: 'docker', LOG_LEVEL: 'warn' };
// The tamper rows pass once grading runs in the trusted harness (sandboxes/harness/); before that
// they fail by design and are checked for presence only.
const harnessShipped = existsSync(path.join(repoRoot, 'sandboxes/harness'));

/** A local clone of HEAD (no network): only committed files. */
function cloneHead(dest: string) {
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  execFileSync('git', ['clone', '--quiet', '--no-checkout', repoRoot, dest]);
  execFileSync('git', ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', head], { cwd: dest });
}

describe.runIf(needs('docker', ready, sandboxesHint))('tasks verify on a fresh clone', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let result: CliResult;
  let rows: Map<string, VerifyRow[]>;
  let slugs: string[];

  beforeAll(async () => {
    tmp = await tempDir('ws-clone-');
    const clone = path.join(tmp.dir, 'repo');
    cloneHead(clone);
    slugs = (await readdir(path.join(clone, 'tasks'), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    result = await runCli(['tasks', 'verify', ...slugs.map((s) => path.join(clone, 'tasks', s))], env);
    rows = parseVerifyOutput(result.stdout);
  }, 30 * 60_000);
  afterAll(() => tmp?.remove());

  it('clones every task the working tree ships', async () => {
    const here = (await readdir(path.join(repoRoot, 'tasks'), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(slugs).toEqual(here);
    expect([...rows.keys()].map((d) => path.basename(d))).toEqual(slugs);
  });

  it('every task: files present, visible tests, starter, hidden tests', () => {
    const failing = [...rows].flatMap(([dir, list]) =>
      list
        .filter((r) => !r.ok && r.group !== 'tamper')
        .map((r) => `${path.basename(dir)}: ${r.check}: ${r.detail}`),
    );
    expect(failing, result.stdout + result.stderr).toEqual([]);
    for (const [dir, list] of rows) {
      expect(list.find((r) => r.check === 'task files')?.ok, dir).toBe(true);
      const code = list.some((r) => r.group === 'hidden');
      if (!code) continue;
      for (const check of [
        'solution passes visible tests',
        'starter runs',
        'solution passes',
        'starter fails',
      ])
        expect(list.find((r) => r.check === check)?.ok, `${dir}: ${check}`).toBe(true);
      // Every code task gets the tamper corpus.
      expect(list.filter((r) => r.group === 'tamper').length, dir).toBeGreaterThanOrEqual(10);
    }
  });

  it.runIf(harnessShipped)('every code task resists the tamper corpus', () => {
    expect(result.stdout).toContain(`all ${slugs.length} task(s) verified`);
    expect(result.code).toBe(0);
  });
});
