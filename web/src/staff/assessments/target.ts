/**
 * What an invitation is for: one task or one assessment. The invite form's single select holds both
 * (`task:<slug>` / `assessment:<slug>`); the API takes exactly one of `taskSlug` / `assessmentSlug`.
 */
import type { TaskSummary } from '../types.ts';
import type { AssessmentListItem } from './types.ts';

export type Target = { kind: 'task'; slug: string } | { kind: 'assessment'; slug: string };

export const targetValue = (t: Target) => `${t.kind}:${t.slug}`;

export function parseTarget(value: string): Target | null {
  const m = /^(task|assessment):(.+)$/.exec(value);
  return m ? { kind: m[1] as Target['kind'], slug: m[2]! } : null;
}

/** The request body's part naming what to invite to. */
export const targetBody = (t: Target) =>
  t.kind === 'task' ? { taskSlug: t.slug } : { assessmentSlug: t.slug };

/**
 * The tasks an invitation needs the deployment to run: the task itself, or each task of the
 * assessment (those not imported are skipped: the server refuses those invitations anyway).
 */
export function tasksOf(
  t: Target | null,
  tasks: TaskSummary[],
  assessments: AssessmentListItem[],
): TaskSummary[] {
  if (!t) return [];
  if (t.kind === 'task') return tasks.filter((x) => x.slug === t.slug);
  const a = assessments.find((x) => x.slug === t.slug);
  return (a?.tasks ?? []).flatMap((at) => tasks.filter((x) => x.slug === at.taskSlug));
}

/**
 * "AI engineer loop · 2/2" — the pipeline's assessment column: the row's task of the count, or the
 * number of tasks on the invitation's row before any task is opened (position null).
 */
export const assessmentLabel = (a: { title: string; position: number | null; count: number }) =>
  a.position === null ? `${a.title} · ${a.count} tasks` : `${a.title} · ${a.position + 1}/${a.count}`;

/** A 0..1 score as a whole percentage, or a dash. */
export const percent = (x: number | null | undefined) =>
  x === null || x === undefined ? '—' : `${Math.round(x * 100)}%`;
