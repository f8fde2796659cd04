import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_TASK, FIXTURES, tempTasks } from './fixtures/helpers.ts';
import { loadTaskDir } from './index.ts';

describe('loadTaskDir: valid packages', () => {
  let tmp: Awaited<ReturnType<typeof tempTasks>>;
  beforeEach(async () => {
    tmp = await tempTasks();
  });
  afterEach(() => tmp.cleanup());

  it('loads the example task with defaults filled in and roles assigned', async () => {
    const result = await loadTaskDir(EXAMPLE_TASK);
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const { manifest, statement, files, contentHash } = result.task;
    expect(manifest.slug).toBe('hello-llm');
    expect(manifest.kind).toBe('code');
    expect(manifest.environment?.grade).toEqual(['node', '--test', '--test-reporter=tap', 'hidden.test.mjs']);
    expect(manifest.environment?.report).toEqual({ format: 'tap' });
    expect(manifest.environment?.subject).toEqual({ modules: ['parse-model-json.mjs'] });
    expect(manifest.llm.models).toEqual([{ alias: 'mock-small', upstream: 'mock-small' }]);
    expect(manifest.rubric.criteria).toHaveLength(3);
    expect(statement).toContain('parseModelJson');
    expect(contentHash).toMatch(/^[0-9a-f]{64}$/);
    const roles = Object.fromEntries(files.map((f) => [f.path, f.role]));
    expect(roles).toMatchObject({
      'task.yaml': 'manifest',
      'statement.md': 'statement',
      'starter/parse-model-json.mjs': 'starter',
      'tests/hidden.test.mjs': 'tests',
      'solution/parse-model-json.mjs': 'solution',
      'wrong/no-fence/parse-model-json.mjs': 'wrong',
      'llm/mock.yaml': 'llm',
    });
    const paths = files.map((f) => f.path);
    expect(paths).toEqual([...paths].sort());
  });

  it('loads critique and written fixtures', async () => {
    const critique = await loadTaskDir(path.join(FIXTURES, 'critique-min'));
    if (!critique.ok) throw new Error(critique.errors.join('\n'));
    expect(critique.task.manifest.critique?.categories).toContain('hallucinated-api');
    expect(critique.task.files.find((f) => f.path === 'outputs/answer-1.md')?.role).toBe('outputs');

    const written = await loadTaskDir(path.join(FIXTURES, 'written-min'));
    if (!written.ok) throw new Error(written.errors.join('\n'));
    expect(written.task.manifest.written?.questions[0]?.id).toBe('metrics');
    expect(written.task.manifest.review.reviewersPerSubmission).toBe(2);
  });

  it('skips node_modules, .git and dotfiles without changing the hash', async () => {
    const dir = await tmp.copy(EXAMPLE_TASK);
    const before = await loadTaskDir(dir);
    await mkdir(path.join(dir, 'starter/node_modules/x'), { recursive: true });
    await writeFile(path.join(dir, 'starter/node_modules/x/index.js'), 'x');
    await mkdir(path.join(dir, '.git'));
    await writeFile(path.join(dir, '.git/HEAD'), 'ref: refs/heads/main');
    await writeFile(path.join(dir, '.DS_Store'), 'junk');
    const after = await loadTaskDir(dir);
    if (!before.ok || !after.ok) throw new Error('expected both loads to succeed');
    expect(after.task.files.map((f) => f.path)).toEqual(before.task.files.map((f) => f.path));
    expect(after.task.contentHash).toBe(before.task.contentHash);
  });

  it('accepts a trailing slash and reports nothing for it', async () => {
    const result = await loadTaskDir(`${EXAMPLE_TASK}/`);
    expect(result.ok).toBe(true);
  });
});
