/**
 * The answer-key comparison for one attempt: the critique task's key (pinned to the attempt's task
 * version) against the candidate's `critique/annotations.json`.
 *
 * Stops: the key leaking to candidates. The key is a reviewer-only package file (role "other",
 * enforced by the loader); this verb is its only reader, and its caller must check staff access.
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { Attempt } from '../attempts/index.ts';
import { getVersion, versionFileText } from '../tasks/index.ts';
import { readFile } from '../workspace/index.ts';
import {
  compareWithKey,
  locateKey,
  parseAnswerKey,
  parseCandidateAnnotations,
  type Comparison,
} from './answer-key.ts';

export const ANNOTATIONS_FILE = 'critique/annotations.json';

/** Compares the attempt's annotations with its task's answer key; 404 when the task has no key. */
export async function answerKeyComparison(
  ctx: ServiceContext,
  attempt: Attempt,
): Promise<Comparison & { answerKey: string; ignoredAnnotations: number }> {
  const { manifest } = await getVersion(ctx, attempt.task_version_id);
  const keyPath = manifest.critique?.answerKey;
  if (!keyPath) throw new AppError('not_found', 'this task has no answer key');
  const source = await versionFileText(ctx, attempt.task_version_id, keyPath);
  if (source === undefined) throw new AppError('not_found', `answer key ${keyPath} is missing`);
  const parsed = parseAnswerKey(keyPath, source);
  if (!parsed.ok)
    throw new AppError(
      'conflict',
      `the answer key is invalid (run tasks verify): ${parsed.errors.join('; ')}`,
    );
  const outputs = [];
  for (const p of manifest.critique!.outputs)
    outputs.push({
      path: p,
      content: (await versionFileText(ctx, attempt.task_version_id, `outputs/${p}`)) ?? '',
    });
  let annotations = {
    annotations: [] as ReturnType<typeof parseCandidateAnnotations>['annotations'],
    ignored: 0,
  };
  try {
    annotations = parseCandidateAnnotations(
      (await readFile(ctx, attempt.id, ANNOTATIONS_FILE)).content.toString('utf8'),
    );
  } catch (e) {
    if (!(e instanceof AppError && e.code === 'not_found')) throw e; // no annotations written: compare with none
  }
  const comparison = compareWithKey(locateKey(keyPath, parsed.key, outputs), annotations.annotations);
  return { ...comparison, answerKey: keyPath, ignoredAnnotations: annotations.ignored };
}
