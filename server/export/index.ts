/**
 * Results export: one row per submitted attempt with its auto score, the mean of the submitted
 * reviews and the decision. Keeps review blind: the candidate's name and email are filled in only
 * for admins and only once a decision is recorded, and each such reveal is recorded like any other.
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { StaffUser } from '../auth/index.ts';
import type { TaskManifest } from '../tasks/index.ts';
import type { ReviewLevels } from '../reviews/index.ts';
import { codeName } from '../reviews/index.ts';
import { weightedScore } from '../grading/index.ts';
import { recordEvent } from '../attempts/index.ts';
import { toCsv } from './csv.ts';

export interface ExportRow {
  attemptId: string;
  codeName: string;
  /** The applicant tracking system's id given with the invitation (not an identity: shown to everyone who may export). */
  externalId: string | null;
  /** Null until a decision is recorded, and always null for non-admins. */
  name: string | null;
  email: string | null;
  task: string;
  version: number;
  submittedAt: number;
  grade: { status: string; verdict: string | null; passed: number; failed: number } | null;
  /** Mean level per rubric criterion across submitted reviews (null: nobody rated it). */
  criteria: Record<string, number | null>;
  /** Mean of the reviewers' weighted rubric scores (0–100). */
  weightedScore: number | null;
  reviewers: number;
  /** Mean recommendation, 1 strong no … 4 strong yes. */
  recommendation: number | null;
  decision: string | null;
  reason: string | null;
}

export interface ExportResult {
  /** Criterion ids in column order (first seen, newest version first). */
  criteria: string[];
  identities: boolean;
  rows: ExportRow[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const mean = (xs: number[]) => (xs.length ? round2(xs.reduce((a, b) => a + b, 0) / xs.length) : null);

/** Builds the export; identities are revealed only when `viewer` is an admin. */
export async function exportSubmissions(
  ctx: ServiceContext,
  viewer: StaffUser,
  opts: { task?: string | undefined; externalId?: string | undefined } = {},
): Promise<ExportResult> {
  let versionsQ = ctx.db
    .selectFrom('task_versions')
    .select(['id', 'slug', 'version', 'manifest_json'])
    .orderBy('slug')
    .orderBy('version', 'desc');
  if (opts.task) versionsQ = versionsQ.where('slug', '=', opts.task);
  const versions = await versionsQ.execute();
  if (opts.task && !versions.length) throw new AppError('not_found', `task ${opts.task} not found`);
  const rubric = new Map(
    versions.map((v) => [v.id, (JSON.parse(v.manifest_json) as TaskManifest).rubric.criteria]),
  );
  const criteria = [...new Set([...rubric.values()].flat().map((c) => c.id))];

  let attemptsQ = ctx.db
    .selectFrom('attempts as a')
    .innerJoin('invitations as i', 'i.id', 'a.invitation_id')
    .innerJoin('task_versions as v', 'v.id', 'a.task_version_id')
    .leftJoin('grades as g', (j) => j.onRef('g.attempt_id', '=', 'a.id').on('g.superseded_at', 'is', null))
    .leftJoin('decisions as d', 'd.attempt_id', 'a.id')
    .select([
      'a.id',
      'a.task_version_id',
      'a.submitted_at',
      'i.candidate_name',
      'i.candidate_email',
      'i.external_id',
      'v.slug',
      'v.version',
      'g.status as grade_status',
      'g.verdict',
      'g.passed',
      'g.failed',
      'd.decision',
      'd.reason',
    ])
    .where('a.submitted_at', 'is not', null)
    .where('i.purpose', '=', 'candidate')
    .orderBy('a.submitted_at')
    .orderBy('a.id');
  if (opts.task) attemptsQ = attemptsQ.where('v.slug', '=', opts.task);
  if (opts.externalId !== undefined) attemptsQ = attemptsQ.where('i.external_id', '=', opts.externalId);
  const attempts = await attemptsQ.execute();

  let reviewsQ = ctx.db
    .selectFrom('reviews as r')
    .innerJoin('attempts as a', 'a.id', 'r.attempt_id')
    .innerJoin('task_versions as v', 'v.id', 'a.task_version_id')
    .select(['r.attempt_id', 'r.levels_json', 'r.recommendation'])
    .where('r.status', '=', 'submitted');
  if (opts.task) reviewsQ = reviewsQ.where('v.slug', '=', opts.task);
  const reviewsByAttempt = new Map<string, Array<{ levels_json: string; recommendation: number | null }>>();
  for (const r of await reviewsQ.execute())
    reviewsByAttempt.set(r.attempt_id, [...(reviewsByAttempt.get(r.attempt_id) ?? []), r]);

  const identities = viewer.role === 'admin';
  const rows = attempts.map((a): ExportRow => {
    const reviews = reviewsByAttempt.get(a.id) ?? [];
    const levels = reviews.map((r) =>
      Object.fromEntries(
        Object.entries(JSON.parse(r.levels_json) as ReviewLevels).map(([k, v]) => [k, v.level]),
      ),
    );
    const scores = levels
      .map((l) => weightedScore(rubric.get(a.task_version_id) ?? [], l))
      .filter((s): s is number => s !== null);
    const revealed = identities && a.decision !== null;
    return {
      attemptId: a.id,
      codeName: codeName(a.id),
      externalId: a.external_id ?? null,
      name: revealed ? a.candidate_name : null,
      email: revealed ? a.candidate_email : null,
      task: a.slug,
      version: a.version,
      submittedAt: a.submitted_at!,
      grade:
        a.grade_status === null
          ? null
          : { status: a.grade_status, verdict: a.verdict, passed: a.passed ?? 0, failed: a.failed ?? 0 },
      criteria: Object.fromEntries(
        criteria.map((id) => [id, mean(levels.flatMap((l) => (l[id] === undefined ? [] : [l[id]!])))]),
      ),
      weightedScore: mean(scores),
      reviewers: reviews.length,
      recommendation: mean(reviews.flatMap((r) => (r.recommendation === null ? [] : [r.recommendation]))),
      decision: a.decision ?? null,
      reason: a.reason ?? null,
    };
  });

  const now = ctx.clock.now();
  for (const r of rows) {
    if (r.name !== null)
      await recordEvent(ctx.db, {
        attemptId: r.attemptId,
        at: now,
        type: 'identity.revealed',
        payload: { to: viewer.id, via: 'export' },
      });
  }
  return { criteria, identities, rows };
}

/** The export as CSV: one flat column per value, `crit:<id>` per criterion, times as ISO 8601. */
export function exportCsv(result: ExportResult): string {
  const header = [
    'codeName',
    'externalId',
    'name',
    'email',
    'task',
    'version',
    'submittedAt',
    'gradeStatus',
    'verdict',
    'passed',
    'failed',
    ...result.criteria.map((id) => `crit:${id}`),
    'weightedScore',
    'reviewers',
    'recommendation',
    'decision',
    'reason',
  ];
  return toCsv(
    header,
    result.rows.map((r) => [
      r.codeName,
      r.externalId,
      r.name,
      r.email,
      r.task,
      r.version,
      new Date(r.submittedAt).toISOString(),
      r.grade?.status,
      r.grade?.verdict,
      r.grade?.passed,
      r.grade?.failed,
      ...result.criteria.map((id) => r.criteria[id]),
      r.weightedScore,
      r.reviewers,
      r.recommendation,
      r.decision,
      r.reason,
    ]),
  );
}
