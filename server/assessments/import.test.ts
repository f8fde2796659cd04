/** Importing assessments on SQLite, and Postgres when TEST_DATABASE_URL is set. */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects, makeTestApp, repoRoot, type TestApp } from '../testing/index.ts';
import { importTask } from '../tasks/index.ts';
import { importAssessment, listAssessments, resolveAssessmentVersion } from './index.ts';

const shipped = path.join(repoRoot, 'assessments/ai-engineer-loop');

describe.each(dialects())('importing assessments on %s', (dialect) => {
  let t: TestApp;
  let tmp: string;
  beforeEach(async () => {
    t = await makeTestApp({ dialect });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ws-asm-'));
  });
  afterEach(async () => {
    await t.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('refuses an assessment whose tasks are not imported, naming each', async () => {
    await importTask(t.ctx, path.join(repoRoot, 'tasks/hello-llm'));
    await expect(importAssessment(t.ctx, shipped)).rejects.toMatchObject({
      code: 'validation_failed',
      message: `${shipped}/assessment.yaml: tasks[1].task: unknown task critique-support-bot; import it first: worksample tasks import tasks/critique-support-bot`,
    });
    expect(await listAssessments(t.ctx)).toEqual([]);
  });

  it('imports the shipped example pinned to its tasks; unchanged on re-import; a new task version makes a new version', async () => {
    const hello = await importTask(t.ctx, path.join(repoRoot, 'tasks/hello-llm'));
    const critique = await importTask(t.ctx, path.join(repoRoot, 'tasks/critique-support-bot'));
    const first = await importAssessment(t.ctx, shipped);
    expect(first).toMatchObject({
      status: 'created',
      version: {
        slug: 'ai-engineer-loop',
        version: 1,
        clock: 'overall',
        timeLimitMinutes: 60,
        tasks: [
          { position: 0, taskSlug: 'hello-llm', weight: 2, kind: 'code' },
          { position: 1, taskSlug: 'critique-support-bot', weight: 1, kind: 'critique' },
        ],
      },
    });
    const pinned = await resolveAssessmentVersion(t.ctx, 'ai-engineer-loop');
    expect(pinned.manifest.tasks.map((x) => x.taskVersionId)).toEqual([
      hello.version.id,
      critique.version.id,
    ]);
    expect(await importAssessment(t.ctx, shipped)).toMatchObject({
      status: 'unchanged',
      version: { version: 1 },
    });

    // A new version of a task it lists: the assessment is re-pinned as version 2; version 1 stays.
    const taskDir = path.join(tmp, 'hello-llm');
    await cp(path.join(repoRoot, 'tasks/hello-llm'), taskDir, { recursive: true });
    await writeFile(path.join(taskDir, 'statement.md'), '# Changed\n');
    const hello2 = await importTask(t.ctx, taskDir);
    const second = await importAssessment(t.ctx, shipped);
    expect(second).toMatchObject({ status: 'created', version: { version: 2 } });
    expect((await resolveAssessmentVersion(t.ctx, 'ai-engineer-loop')).manifest.tasks[0]!.taskVersionId).toBe(
      hello2.version.id,
    );
    expect(
      (await resolveAssessmentVersion(t.ctx, 'ai-engineer-loop', 1)).manifest.tasks[0]!.taskVersionId,
    ).toBe(hello.version.id);
    expect(await listAssessments(t.ctx)).toMatchObject([{ slug: 'ai-engineer-loop', version: 2 }]);
  });
});
