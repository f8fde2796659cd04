/**
 * The hiring pipeline: every candidate invitation with its attempt, in one stage, with the numbers an
 * admin runs a round on. Filtering, search, sorting and paging happen in SQL (one query for the page,
 * one for the stage counts, one for unassigned submissions) so 10 000 candidates stay fast on SQLite
 * and Postgres alike (`npm run bench:pipeline`).
 */
import { sql, type Expression, type SqlBool } from 'kysely';
import type { ServiceContext } from '../platform/index.ts';

import { DECISIONS, PIPELINE_STAGES, type PipelineSort, type PipelineStage } from './constants.ts';

export { DECISIONS, PIPELINE_SORTS, PIPELINE_STAGES } from './constants.ts';
export type { PipelineSort, PipelineStage } from './constants.ts';

export interface PipelineQuery {
  stages?: PipelineStage[] | undefined;
  task?: string | undefined;
  /** Only rows this staff user is assigned to review. */
  reviewer?: string | undefined;
  /** Only submissions nobody is assigned to review (and not decided). */
  unassigned?: boolean | undefined;
  /** A decision, or 'none' for rows without one. */
  decision?: (typeof DECISIONS)[number] | undefined;
  /** Case-insensitive substring of the candidate's name or email. */
  q?: string | undefined;
  sort?: PipelineSort | undefined;
  dir?: 'asc' | 'desc' | undefined;
  page?: number | undefined;
  pageSize?: number | undefined;
}

export interface PipelineRow {
  invitationId: string;
  attemptId: string | null;
  candidateName: string;
  candidateEmail: string;
  task: { slug: string; version: number; title: string };
  stage: PipelineStage;
  /** ISO 8601 with offset (UTC); the web app shows them in the viewer's zone, zone named. */
  invitedAt: string;
  expiresAt: string;
  openedAt: string | null;
  startedAt: string | null;
  deadlineAt: string | null;
  submittedAt: string | null;
  /** Who submitted: the candidate, or the deadline (auto-submitted). */
  submittedBy: 'candidate' | 'deadline' | null;
  autoScore: { status: string; percent: number | null; passed: number; failed: number } | null;
  reviews: {
    done: number;
    assigned: number;
    overdue: number;
    reviewers: Array<{ id: string; name: string }>;
  };
  unassigned: boolean;
  decision: 'advance' | 'reject' | 'hold' | null;
  /** The row's place in its assessment (position null: no task opened yet), or null for one task. */
  assessment: { title: string; slug: string; position: number | null; count: number } | null;
}

export interface PipelinePage {
  rows: PipelineRow[];
  /** Rows matching every filter (all pages). */
  total: number;
  page: number;
  pageSize: number;
  /** Rows per stage under every filter but the stage filter (the stage tabs' numbers). */
  counts: Record<PipelineStage, number>;
  /** Submitted, undecided attempts nobody is assigned to review, regardless of filters. */
  unassigned: number;
  serverNow: string;
}

export const MAX_PAGE_SIZE = 200;
const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** `%x%` for LIKE with the wildcards in x escaped (backslash as the escape in both dialects). */
const likePattern = (q: string) => `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Builds the query of one row per candidate invitation with every derived column (a CTE named p). */
function base(ctx: ServiceContext, now: number) {
  // Review progress per attempt in one grouped pass (a hash join), not three subqueries per row.
  const progress = ctx.db
    .selectFrom('review_assignments as ra')
    .leftJoin('reviews as r', (j) =>
      j.onRef('r.attempt_id', '=', 'ra.attempt_id').onRef('r.reviewer_id', '=', 'ra.reviewer_id'),
    )
    .select([
      'ra.attempt_id',
      sql<number>`count(*)`.as('assigned'),
      sql<number>`sum(case when r.status = 'submitted' then 1 else 0 end)`.as('done'),
      sql<number>`sum(case when coalesce(r.status, '') <> 'submitted' and ra.due_at < ${now}
        then 1 else 0 end)`.as('late'),
    ])
    .groupBy('ra.attempt_id');
  // One row per attempt (an assessment has one per task opened), or per invitation before any; the
  // task is the attempt's own (an assessment invitation pins its first task's version).
  const counted = ctx.db
    .selectFrom('invitations as i')
    .leftJoin('attempts as a', 'a.invitation_id', 'i.id')
    .innerJoin('task_versions as v', (j) =>
      j.on(sql<SqlBool>`v.id = coalesce(a.task_version_id, i.task_version_id)`),
    )
    .leftJoin('grades as g', (j) => j.onRef('g.attempt_id', '=', 'a.id').on('g.superseded_at', 'is', null))
    .leftJoin('decisions as d', 'd.attempt_id', 'a.id')
    .leftJoin(progress.as('rp'), 'rp.attempt_id', 'a.id')
    .where('i.purpose', '=', 'candidate')
    .select([
      'i.id as invitation_id',
      'a.id as attempt_id',
      'i.candidate_name',
      'i.candidate_email',
      'v.slug',
      'v.version',
      'v.title',
      'i.created_at as invited_at',
      'i.expires_at',
      'i.revoked_at',
      'i.opened_at',
      'i.assessment_version_id',
      'i.assessment_started_at',
      'a.position',
      'a.status as attempt_status',
      'a.started_at',
      'a.deadline_at',
      'a.submitted_at',
      'a.submit_reason',
      'g.status as grade_status',
      'g.passed',
      'g.failed',
      'd.decision',
      sql<number | null>`case when g.status = 'done' and g.passed + g.failed > 0
        then (100.0 * g.passed) / (g.passed + g.failed) end`.as('score'),
      sql<number>`coalesce(rp.assigned, 0)`.as('assigned'),
      sql<number>`coalesce(rp.done, 0)`.as('done'),
      // Overdue reviews stop mattering once the decision is made.
      sql<number>`case when d.attempt_id is null then coalesce(rp.late, 0) else 0 end`.as('overdue'),
    ]);
  return ctx.db
    .with('c', () => counted)
    .with('p', (db) =>
      db
        .selectFrom('c')
        .selectAll()
        .select([
          sql<PipelineStage>`case
          when attempt_id is null and revoked_at is not null then 'revoked'
          when attempt_id is null and expires_at <= ${now} then 'expired'
          when attempt_id is null and assessment_started_at is not null then 'started'
          when attempt_id is null and opened_at is not null then 'opened'
          when attempt_id is null then 'invited'
          when decision is not null then 'decided'
          when attempt_status = 'started' then 'started'
          when assigned > 0 then 'in review'
          when grade_status = 'done' then 'graded'
          else 'submitted' end`.as('stage'),
          sql<number>`case when attempt_id is not null and attempt_status <> 'started'
          and decision is null and assigned = 0 then 1 else 0 end`.as('unassigned'),
        ]),
    );
}

const SORT_COLUMN: Record<PipelineSort, string> = {
  invited: 'invited_at',
  started: 'started_at',
  submitted: 'submitted_at',
  name: 'candidate_name',
  task: 'slug',
  score: 'score',
  stage: 'stage',
};

/** One page of the pipeline under the given filters, with stage counts and the unassigned count. */
export async function listPipeline(ctx: ServiceContext, query: PipelineQuery = {}): Promise<PipelinePage> {
  const now = ctx.clock.now();
  const pageSize = Math.min(Math.max(1, query.pageSize ?? 50), MAX_PAGE_SIZE);
  const page = Math.max(1, query.page ?? 1);

  // Every filter but the stage: the stage counts are computed under these.
  const filters = (withStage: boolean) => {
    const out: Array<Expression<SqlBool>> = [];
    if (withStage && query.stages?.length) out.push(sql<SqlBool>`stage in (${sql.join(query.stages)})`);
    if (query.task) out.push(sql<SqlBool>`slug = ${query.task}`);
    if (query.unassigned) out.push(sql<SqlBool>`unassigned = 1`);
    if (query.decision === 'none') out.push(sql<SqlBool>`decision is null`);
    else if (query.decision) out.push(sql<SqlBool>`decision = ${query.decision}`);
    if (query.reviewer)
      out.push(sql<SqlBool>`exists (select 1 from review_assignments ra
        where ra.attempt_id = p.attempt_id and ra.reviewer_id = ${query.reviewer})`);
    if (query.q?.trim()) {
      const like = likePattern(query.q.trim());
      out.push(sql<SqlBool>`(lower(candidate_name) like ${like} escape '\\'
        or lower(candidate_email) like ${like} escape '\\')`);
    }
    return out;
  };
  const all = (xs: Array<Expression<SqlBool>>) =>
    xs.length ? sql<SqlBool>`${sql.join(xs, sql` and `)}` : sql<SqlBool>`1 = 1`;

  const column = sql.ref(SORT_COLUMN[query.sort ?? 'invited']);
  const dir = query.dir === 'asc' ? sql`asc` : sql`desc`;
  // The page, the stage counts and the unassigned count are independent: on Postgres they run side
  // by side on the pool (SQLite runs them in turn). Rows without the sort value (not started yet, no
  // score) go last either way, in both dialects.
  const pageQuery = base(ctx, now)
    .selectFrom('p')
    .selectAll()
    .where(() => all(filters(true)))
    .orderBy(sql`case when ${column} is null then 1 else 0 end`)
    .orderBy(sql`${column} ${dir}`)
    .orderBy('invitation_id')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  const countQuery = base(ctx, now)
    .selectFrom('p')
    .select(['stage', sql<number>`count(*)`.as('n')])
    .where(() => all(filters(false)))
    .groupBy('stage')
    .execute();
  const [rows, grouped, unassigned] = await Promise.all([pageQuery, countQuery, unassignedCount(ctx)]);
  const counts = Object.fromEntries(PIPELINE_STAGES.map((s) => [s, 0])) as Record<PipelineStage, number>;
  for (const g of grouped) counts[g.stage] = Number(g.n);
  const total = query.stages?.length
    ? query.stages.reduce((n, s) => n + counts[s], 0)
    : Object.values(counts).reduce((a, x) => a + x, 0);

  const reviewers = await reviewersOf(
    ctx,
    rows.flatMap((r) => (r.attempt_id ? [r.attempt_id] : [])),
  );
  const assessments = await assessmentsOf(
    ctx,
    rows.flatMap((r) => (r.assessment_version_id ? [r.assessment_version_id] : [])),
  );
  return {
    rows: rows.map((r) => ({
      invitationId: r.invitation_id,
      attemptId: r.attempt_id,
      candidateName: r.candidate_name,
      candidateEmail: r.candidate_email,
      task: { slug: r.slug, version: r.version, title: r.title },
      stage: r.stage,
      invitedAt: iso(r.invited_at)!,
      expiresAt: iso(r.expires_at)!,
      openedAt: iso(r.opened_at),
      startedAt: iso(r.started_at),
      deadlineAt: iso(r.deadline_at),
      submittedAt: iso(r.submitted_at),
      submittedBy: r.submitted_at === null ? null : r.submit_reason,
      autoScore:
        r.grade_status === null
          ? null
          : {
              status: r.grade_status,
              percent: r.score === null ? null : Math.round(Number(r.score)),
              passed: r.passed ?? 0,
              failed: r.failed ?? 0,
            },
      reviews: {
        done: Number(r.done),
        assigned: Number(r.assigned),
        overdue: Number(r.overdue),
        reviewers: (r.attempt_id && reviewers.get(r.attempt_id)) || [],
      },
      unassigned: Number(r.unassigned) === 1,
      decision: r.decision,
      assessment: r.assessment_version_id
        ? {
            ...assessments.get(r.assessment_version_id)!,
            position: r.attempt_id === null ? null : Number(r.position ?? 0),
          }
        : null,
    })),
    total,
    page,
    pageSize,
    counts,
    unassigned,
    serverNow: new Date(now).toISOString(),
  };
}

/** Submitted, undecided candidate attempts with nobody assigned to review them. */
export async function unassignedCount(ctx: ServiceContext): Promise<number> {
  const r = await ctx.db
    .selectFrom('attempts as a')
    .innerJoin('invitations as i', 'i.id', 'a.invitation_id')
    .select(sql<number>`count(*)`.as('n'))
    .where('i.purpose', '=', 'candidate')
    .where('a.status', '<>', 'started')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('review_assignments as ra')
            .select('ra.attempt_id')
            .whereRef('ra.attempt_id', '=', 'a.id'),
        ),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('decisions as d').select('d.attempt_id').whereRef('d.attempt_id', '=', 'a.id'))),
    )
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function reviewersOf(ctx: ServiceContext, attemptIds: string[]) {
  const out = new Map<string, Array<{ id: string; name: string }>>();
  if (!attemptIds.length) return out;
  const rows = await ctx.db
    .selectFrom('review_assignments as ra')
    .innerJoin('users as u', 'u.id', 'ra.reviewer_id')
    .select(['ra.attempt_id', 'u.id', 'u.name'])
    .where('ra.attempt_id', 'in', attemptIds)
    .orderBy('u.name')
    .execute();
  for (const r of rows) out.set(r.attempt_id, [...(out.get(r.attempt_id) ?? []), { id: r.id, name: r.name }]);
  return out;
}

/** Title, slug and task count of the page's assessment versions, in one query. */
async function assessmentsOf(ctx: ServiceContext, ids: string[]) {
  const out = new Map<string, { title: string; slug: string; count: number }>();
  if (!ids.length) return out;
  const rows = await ctx.db
    .selectFrom('assessment_versions')
    .select(['id', 'title', 'slug', 'manifest_json'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  for (const r of rows)
    out.set(r.id, {
      title: r.title,
      slug: r.slug,
      count: (JSON.parse(r.manifest_json) as { tasks: unknown[] }).tasks.length,
    });
  return out;
}
