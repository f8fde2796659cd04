/**
 * Type-level proof that the web app's API types follow the server's zod response schemas. Checked by
 * `tsc --noEmit` (never bundled: nothing imports it). Each `@ts-expect-error` marks a usage that must
 * stay an error; if a server schema drifts so that it stops being one (or a type falls back to `any`),
 * tsc reports the directive as unused and the check fails.
 */
import type { z } from '@hono/zod-openapi';
import type { reviewPageSchema } from '../../../server/http/schemas/reviews.ts';
import type { Attempt, CandidateView, FileInfo } from './api.ts';
import type { QueueItem, ReviewPage } from '../staff/types.ts';

/** The web's type IS the server schema's output, both ways (not a hand-kept copy that merely fits). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const reviewPageIsTheSchema: Same<ReviewPage, z.output<typeof reviewPageSchema>> = true;

export function drift(page: ReviewPage, q: QueueItem, a: Attempt, v: CandidateView, f: FileInfo) {
  // @ts-expect-error: the review page never carries the candidate's name (blind review).
  void page.candidateName;
  // @ts-expect-error: a queue status is one of 'to do' | 'draft' | 'submitted'.
  const s: QueueItem['status'] = 'pending';
  // @ts-expect-error: deadlines are epoch milliseconds, not strings.
  const d: string = a.deadlineAt;
  // @ts-expect-error: task kinds are a closed set.
  const k: CandidateView['task']['kind'] = 'essay';
  // @ts-expect-error: a revision is a number.
  const r: string = f.revision;
  // @ts-expect-error: an assessment task's status is a closed set (what the overview and Submit all read).
  const t: NonNullable<CandidateView['assessment']>['tasks'][number]['status'] = 'graded';
  return [s, d, k, r, t, q.codeName, v.task.llm.budget?.maxRequests] as const;
}
