/**
 * The optional feedback report for a candidate, after the decision: per rubric criterion the
 * consolidated level as a number (median of the submitted reviews) and only the evidence reviewers
 * wrote and marked shareable. Nothing a reviewer did not write: the rubric's level descriptor is not
 * quoted (with reviewers at 4 and 2, the median's descriptor described a flaw nobody noted). No
 * reviewer names, private notes or recommendation.
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { getVersion } from '../tasks/index.ts';
import type { ReviewLevels } from './index.ts';
import { attemptOrThrow } from './assign.ts';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
};

export async function feedbackReport(
  ctx: ServiceContext,
  attemptId: string,
): Promise<{
  markdown: string;
  criteria: Array<{ id: string; title: string; level: number; comments: string[] }>;
}> {
  const a = await attemptOrThrow(ctx, attemptId);
  const decided = await ctx.db
    .selectFrom('decisions')
    .select('attempt_id')
    .where('attempt_id', '=', attemptId)
    .executeTakeFirst();
  if (!decided)
    throw new AppError('conflict', 'the feedback report is available once the decision is recorded');
  const version = await getVersion(ctx, a.task_version_id);
  const reviews = await ctx.db
    .selectFrom('reviews')
    .select('levels_json')
    .where('attempt_id', '=', attemptId)
    .where('status', '=', 'submitted')
    .execute();
  const parsed = reviews.map((r) => JSON.parse(r.levels_json) as ReviewLevels);
  const criteria = version.manifest.rubric.criteria.flatMap((c) => {
    const rated = parsed.map((p) => p[c.id]).filter((x) => x !== undefined);
    if (!rated.length) return [];
    const level = median(rated.map((x) => x.level));
    const comments = rated.filter((x) => x.shareable && x.evidence.trim()).map((x) => x.evidence.trim());
    return [{ id: c.id, title: c.title, level, comments }];
  });
  const lines = [
    `# Feedback: ${version.title}`,
    '',
    "How your work sample was assessed, criterion by criterion: the reviewers' level (1–4) and the",
    'comments they chose to share with you.',
    '',
  ];
  for (const c of criteria) {
    lines.push(`## ${c.title} — level ${c.level} of 4`, '');
    for (const comment of c.comments) lines.push(`- ${comment.replace(/\n+/g, ' ')}`);
    if (!c.comments.length) lines.push('No written comments were shared for this criterion.');
    lines.push('');
  }
  return { markdown: `${lines.join('\n').trimEnd()}\n`, criteria };
}

/**
 * Emails the feedback report to the candidate (an admin's choice, after the decision). Each send is
 * a new message in the candidate's delivery log.
 */
export async function sendFeedbackEmail(ctx: ServiceContext, attemptId: string): Promise<{ to: string }> {
  if (!ctx.mail?.enabled)
    throw new AppError(
      'conflict',
      'email is not set up on this server (SMTP_URL); copy the report and send it yourself',
    );
  const report = await feedbackReport(ctx, attemptId);
  const a = await attemptOrThrow(ctx, attemptId);
  const inv = await ctx.db
    .selectFrom('invitations as i')
    .innerJoin('task_versions as v', 'v.id', 'i.task_version_id')
    .select(['i.id', 'i.candidate_name', 'i.candidate_email', 'v.title'])
    .where('i.id', '=', a.invitation_id)
    .executeTakeFirstOrThrow();
  await ctx.mail.enqueue(ctx.db, {
    kind: 'feedback',
    to: inv.candidate_email,
    invitationId: inv.id,
    values: { candidateName: inv.candidate_name, taskTitle: inv.title, report: report.markdown },
  });
  ctx.mail.kick();
  return { to: inv.candidate_email };
}

/**
 * Emails one feedback report for the whole invitation (an admin's choice, after the decision): for an
 * assessment, a section per task that has a decision and submitted reviews, in task order; for a
 * single-task invitation, the same message as sending that attempt's report.
 */
export async function sendInvitationFeedbackEmail(
  ctx: ServiceContext,
  invitationId: string,
): Promise<{ to: string; tasks: number }> {
  if (!ctx.mail?.enabled)
    throw new AppError(
      'conflict',
      'email is not set up on this server (SMTP_URL); copy the report and send it yourself',
    );
  const inv = await ctx.db
    .selectFrom('invitations as i')
    .innerJoin('task_versions as v', 'v.id', 'i.task_version_id')
    .leftJoin('assessment_versions as av', 'av.id', 'i.assessment_version_id')
    .select([
      'i.id',
      'i.candidate_name',
      'i.candidate_email',
      'i.purpose',
      'v.title',
      'av.title as assessmentTitle',
    ])
    .where('i.id', '=', invitationId)
    .executeTakeFirst();
  if (!inv || inv.purpose !== 'candidate') throw new AppError('not_found', 'invitation not found');
  const decided = await ctx.db
    .selectFrom('attempts as a')
    .innerJoin('decisions as d', 'd.attempt_id', 'a.id')
    .select('a.id')
    .where('a.invitation_id', '=', invitationId)
    .orderBy('a.position')
    .execute();
  if (!decided.length)
    throw new AppError('conflict', 'the feedback report is available once the decision is recorded');
  const reports = [];
  for (const { id } of decided) {
    const report = await feedbackReport(ctx, id);
    if (report.criteria.length) reports.push(report);
  }
  if (!reports.length) throw new AppError('conflict', 'no task has a submitted review to report on yet');
  const title = inv.assessmentTitle ?? inv.title;
  // Each task's report is a "# Feedback: <task>" document; under one assessment heading its headings
  // go one level down.
  const markdown = inv.assessmentTitle
    ? [
        `# Feedback: ${inv.assessmentTitle}`,
        '',
        ...reports.map((r) => r.markdown.replace(/^(#+) /gm, '#$1 ')),
      ].join('\n')
    : reports[0]!.markdown;
  await ctx.mail.enqueue(ctx.db, {
    kind: 'feedback',
    to: inv.candidate_email,
    invitationId: inv.id,
    values: { candidateName: inv.candidate_name, taskTitle: title, report: markdown },
  });
  ctx.mail.kick();
  return { to: inv.candidate_email, tasks: reports.length };
}
