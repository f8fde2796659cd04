/**
 * One submission for review: the evidence on the left (files against the starter, hidden tests,
 * runs, LLM transcript, critique annotations, replay), the rubric form on the right. After the
 * reviewer submits, all reviews show side by side; admins also assign reviewers and record the
 * decision here.
 */
import { useEffect, useState } from 'preact/hooks';
import { useGet } from '../hooks.ts';
import { Link } from '../router.tsx';
import { Tabs, type Tab } from '../../ui/tabs.tsx';
import { fmtTime, type Consolidated, type Me, type ReviewPage } from '../types.ts';
import { RubricForm } from '../review/rubric-form.tsx';
import { ConsolidationView } from '../review/consolidation.tsx';
import { DecisionPanel } from '../review/decision.tsx';
import { ReviewersPanel } from '../review/reviewers.tsx';
import { SubmittedReview } from '../review/submitted.tsx';
import { Files } from './files.tsx';
import { Runs, Transcript } from './evidence.tsx';
import { HiddenTests } from './grading.tsx';
import { Annotations } from './annotations.tsx';
import { Replay } from './replay.tsx';
import { Icon } from '../../ui/icons.tsx';
import { IntegritySummary } from './integrity-summary.tsx';

export function Submission({ id, me }: { id: string; me: Me }) {
  const loaded = useGet<ReviewPage>(`/api/reviews/${id}`);
  const [page, setPage] = useState<ReviewPage | null>(null);
  useEffect(() => setPage(loaded.data), [loaded.data]);
  const admin = me.user.role === 'admin';
  const submitted = page?.myReview?.status === 'submitted';
  const all = useGet<Consolidated>(
    page && (admin || submitted) ? `/api/reviews/${id}/all?v=${page.progress.submitted}` : null,
  );
  const [tab, setTab] = useState(location.hash.slice(1) || 'files');

  useEffect(() => {
    if (page) document.title = `${page.codeName} · review · worksample`;
  }, [page?.codeName]);

  if (loaded.error)
    return (
      <p class="error" role="alert">
        {loaded.error} <Link href="/review">Back to the queue</Link>
      </p>
    );
  if (!page) return <p aria-busy="true">Loading…</p>;

  const tabs: Tab[] = [
    { id: 'files', label: 'Files', render: () => <Files attemptId={id} /> },
    ...(page.task.kind === 'critique'
      ? [{ id: 'annotations', label: 'Annotations', render: () => <Annotations attemptId={id} /> }]
      : []),
    ...(page.task.kind === 'code'
      ? [
          {
            id: 'tests',
            label: 'Hidden tests',
            render: () => (
              <HiddenTests
                attemptId={id}
                canRegrade={me.user.role === 'admin' || me.user.role === 'reviewer'}
              />
            ),
          },
          { id: 'runs', label: 'Runs', render: () => <Runs attemptId={id} /> },
        ]
      : []),
    { id: 'llm', label: 'LLM transcript', render: () => <Transcript attemptId={id} /> },
    { id: 'replay', label: 'Replay', render: () => <Replay attemptId={id} /> },
  ];
  const a = page.autoScore;

  return (
    <div class="submission">
      <header class="sub-head">
        <p class="small">
          <Link href="/review">
            <Icon name="arrowLeft" /> Review queue
          </Link>
        </p>
        <h1>
          <code data-testid="code-name">{page.codeName}</code> · {page.task.title}{' '}
          <span class="muted small">v{page.task.version}</span>
        </h1>
        <dl class="facts compact">
          <div>
            <dt>Submitted</dt>
            <dd data-testid="submitted-at">
              {fmtTime(page.submittedAt)}
              {page.submittedBy === 'deadline' && <strong> · auto-submitted at deadline</strong>}
            </dd>
          </div>
          <div>
            <dt>Auto score</dt>
            <dd data-testid="auto-score">
              {a && a.status === 'done'
                ? `${a.percent ?? '—'}% (${a.passed} passed, ${a.failed} failed)`
                : a?.status === 'failed'
                  ? 'grading failed (see Hidden tests)'
                  : page.task.kind === 'code'
                    ? 'pending'
                    : 'n/a'}
            </dd>
          </div>
          <div>
            <dt>Reviews</dt>
            <dd>
              {page.progress.submitted} of {page.progress.assigned} submitted
            </dd>
          </div>
        </dl>
        <IntegritySummary attemptId={id} />
        <p class="note" role="note" data-testid="identity-note">
          {page.note} Judge the work, not the person.
        </p>
      </header>
      <div class="sub-cols">
        <section class="evidence-col stabs" aria-label="Submission">
          <Tabs
            label="Submission evidence"
            tabs={tabs}
            active={tab}
            onChange={(t) => {
              setTab(t);
              history.replaceState(null, '', `#${t}`);
            }}
          />
        </section>
        <section class="review-col" aria-label="Review">
          {admin && (
            <ReviewersPanel
              page={page}
              submittedBy={all.data?.reviews.map((r) => r.reviewer.name) ?? []}
              onAssigned={loaded.reload}
            />
          )}
          {!submitted && (!admin || page.myReview) && <RubricForm page={page} onChanged={setPage} />}
          {submitted && <SubmittedReview page={page} />}
          {all.error && <p class="error">{all.error}</p>}
          {all.data && <ConsolidationView page={page} all={all.data} />}
          {admin && all.data && <DecisionPanel page={page} all={all.data} onDecided={all.reload} />}
        </section>
      </div>
    </div>
  );
}
