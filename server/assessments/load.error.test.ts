import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAssessmentDir } from './index.ts';

describe('loadAssessmentDir: errors name the file and field', () => {
  let root: string;
  let dir: string;
  let file: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'ws-asm-'));
    dir = path.join(root, 'loop');
    file = `${dir}/assessment.yaml`;
    await mkdir(dir);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function errorsOf(yaml: string): Promise<string[]> {
    await writeFile(file, yaml);
    const r = await loadAssessmentDir(dir);
    if (r.ok) throw new Error('expected the folder to fail to load');
    return r.errors;
  }

  it('loads a valid file with defaults filled in', async () => {
    await writeFile(
      file,
      'title: Loop\nclock: per-task\ntasks:\n  - task: hello-llm\n  - task: critique-support-bot\n    weight: 2.5\n',
    );
    const r = await loadAssessmentDir(dir);
    expect(r.ok && r.assessment).toMatchObject({
      slug: 'loop',
      manifest: {
        title: 'Loop',
        intro: '',
        clock: 'per-task',
        tasks: [
          { task: 'hello-llm', weight: 1 },
          { task: 'critique-support-bot', weight: 2.5 },
        ],
      },
    });
  });

  it('overall clock without a limit', async () => {
    expect(await errorsOf('title: T\nclock: overall\ntasks:\n  - task: a\n')).toEqual([
      `${file}: timeLimitMinutes: required when clock is overall`,
    ]);
  });

  it('a limit with the per-task clock', async () => {
    expect(await errorsOf('title: T\nclock: per-task\ntimeLimitMinutes: 30\ntasks:\n  - task: a\n')).toEqual([
      `${file}: timeLimitMinutes: not allowed when clock is per-task (each task's own limit applies)`,
    ]);
  });

  it('bad weights', async () => {
    expect(
      await errorsOf(
        'title: T\nclock: per-task\ntasks:\n  - task: a\n    weight: 0\n  - task: b\n    weight: heavy\n',
      ),
    ).toEqual([
      `${file}: tasks[0].weight: expected a positive number`,
      `${file}: tasks[1].weight: expected a positive number`,
    ]);
  });

  it('a task listed twice', async () => {
    expect(
      await errorsOf(
        'title: T\nclock: overall\ntimeLimitMinutes: 60\ntasks:\n  - task: a\n  - task: b\n  - task: a\n',
      ),
    ).toEqual([`${file}: tasks[2].task: a is already listed at tasks[0]`]);
  });

  it('an empty task list, an unknown clock, unknown keys, all at once', async () => {
    expect(await errorsOf('title: T\nclock: sometimes\ntasks: []\ncolour: red\n')).toEqual([
      `${file}: clock: expected overall or per-task`,
      `${file}: tasks: list at least one task`,
      `${file}: colour: unknown key`,
    ]);
  });

  it('missing title and tasks', async () => {
    expect(await errorsOf('clock: per-task\n')).toEqual([
      `${file}: title: required`,
      `${file}: tasks: required`,
    ]);
  });

  it('a YAML syntax error names the line', async () => {
    const errors = await errorsOf('title: T\nclock: [overall\n');
    expect(errors[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line \\d+: `));
  });

  it('a missing file, and a symlinked one', async () => {
    let r = await loadAssessmentDir(dir);
    expect(r).toEqual({ ok: false, errors: [`${dir}: missing assessment.yaml`] });
    await writeFile(path.join(root, 'elsewhere.yaml'), 'title: T\n');
    await symlink(path.join(root, 'elsewhere.yaml'), file);
    r = await loadAssessmentDir(dir);
    expect(r).toEqual({ ok: false, errors: [`${file}: symlinks are not allowed`] });
  });
});
