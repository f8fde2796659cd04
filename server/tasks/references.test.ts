/** Files a task names or opens must ship with it (the rag-citations data/ file once did not). */
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTaskDir, type LoadedTask } from './load.ts';
import { fileReferences, missingReferences } from './references.ts';
import { tempTasks } from './fixtures/helpers.ts';

const repo = path.resolve(import.meta.dirname, '../..');
async function load(dir: string): Promise<LoadedTask> {
  const r = await loadTaskDir(dir);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.task;
}

describe('file references', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('finds what the statement names and what starter code and tests open for reading', async () => {
    const task = await load(path.join(repo, 'tasks/rag-citations'));
    expect(fileReferences(task)).toEqual(
      expect.arrayContaining([
        { from: 'statement.md', path: 'data/handbook.json' },
        { from: 'starter/main.py', path: 'data/handbook.json' },
        { from: 'starter/test_visible.py', path: 'data/handbook.json' },
      ]),
    );
    expect(missingReferences(task)).toEqual([]);
  });

  it('ignores files code writes (open(…, "w")) and paths it cannot know (absolute, templated)', async () => {
    const task = await load(path.join(repo, 'tasks/eval-harness'));
    const refs = fileReferences(task).map((r) => r.path);
    expect(refs).not.toContain('report.json'); // main.py writes it
    expect(missingReferences(task)).toEqual([]);
  });

  it('resolves against the workspace, the grading workspace and the package (critique outputs)', async () => {
    for (const slug of ['hello-llm', 'ticket-triage', 'critique-support-bot', 'design-llm-feature'])
      expect(missingReferences(await load(path.join(repo, 'tasks', slug))), slug).toEqual([]);
  });

  it('reports a data file lost from the package, with every file that names it', async () => {
    const tmp = await tempTasks();
    cleanup = tmp.cleanup;
    const dir = await tmp.copy(path.join(repo, 'tasks/rag-citations'));
    await rm(path.join(dir, 'starter/data'), { recursive: true });
    expect(missingReferences(await load(dir))).toEqual([
      { from: 'statement.md', path: 'data/handbook.json' },
      { from: 'starter/main.py', path: 'data/handbook.json' },
      { from: 'starter/test_visible.py', path: 'data/handbook.json' },
    ]);
  });
});
