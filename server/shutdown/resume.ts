/**
 * Grading is durable: a submitted code attempt whose grade is missing, pending or cut off while
 * running (the server stopped mid-way) is graded again at startup.
 */
import type { ServiceContext } from '../platform/index.ts';

/** Attempt ids to grade again; `regrade` queues each (RunService.attemptSubmitted in production). */
export async function resumeGrading(
  ctx: ServiceContext,
  regrade: (attemptId: string) => void,
): Promise<string[]> {
  const rows = await ctx.db
    .selectFrom('attempts')
    .innerJoin('task_versions', 'task_versions.id', 'attempts.task_version_id')
    .leftJoin('grades', 'grades.attempt_id', 'attempts.id')
    .select(['attempts.id as id'])
    .where('attempts.status', '=', 'submitted')
    .where('task_versions.kind', '=', 'code')
    .where((eb) =>
      eb.or([eb('grades.attempt_id', 'is', null), eb('grades.status', 'in', ['pending', 'running'])]),
    )
    .execute();
  const ids = rows.map((r) => r.id);
  for (const id of ids) regrade(id);
  if (ids.length) ctx.logger.info({ attempts: ids.length }, 'grading resumed for attempts left ungraded');
  return ids;
}
