/** Test helper: the two shipped tasks and an assessment over them with the clock asked for. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../testing/index.ts';
import { importTask } from '../tasks/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { importAssessment } from './index.ts';

/** Imports hello-llm (code, 15 min) and critique-support-bot (critique, 50 min) and `assessments/<slug>`. */
export async function importLoop(
  ctx: ServiceContext,
  opts: { slug?: string; clock: 'overall' | 'per-task'; timeLimitMinutes?: number; onlyFirst?: boolean },
) {
  await importTask(ctx, path.join(repoRoot, 'tasks/hello-llm'));
  await importTask(ctx, path.join(repoRoot, 'tasks/critique-support-bot'));
  const root = await mkdtemp(path.join(os.tmpdir(), 'ws-asm-'));
  const dir = path.join(root, opts.slug ?? `loop-${opts.clock}`);
  await mkdir(dir);
  await writeFile(
    path.join(dir, 'assessment.yaml'),
    [
      'title: Loop',
      'intro: Two **parts**.',
      `clock: ${opts.clock}`,
      ...(opts.clock === 'overall' ? [`timeLimitMinutes: ${opts.timeLimitMinutes ?? 60}`] : []),
      'tasks:',
      '  - task: hello-llm',
      '    weight: 2',
      ...(opts.onlyFirst ? [] : ['  - task: critique-support-bot']),
      '',
    ].join('\n'),
  );
  try {
    return (await importAssessment(ctx, dir)).version;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
