/**
 * One candidate's summary (admins; /admin/invitations/<id>): every task of the invitation with its
 * status, auto score, review score and reviews done, the weighted overall score, and the one decision
 * for the whole invitation (recorded on every attempt), then the feedback email.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../lib/api.ts';
import { useGet } from '../hooks.ts';
import { Link } from '../router.tsx';
import { fmtTime } from '../types.ts';
import { percent } from './target.ts';
import type { InvitationSummary } from './types.ts';
import type { Decision } from '../types.ts';
import { DecisionFields, SendFeedbackButton } from '../review/decision.tsx';

export function CandidateSummary({ id }: { id: string }) {
  const s = useGet<InvitationSummary>(`/api/invitations/${encodeURIComponent(id)}/summary`);
  useEffect(() => {
    if (s.data) document.title = `${s.data.candidateName} · worksample`;
  }, [s.data]);
  if (s.error)
    return (
      <p class="error" role="alert">
        {s.error}
      </p>
    );
  if (!s.data) return <p aria-busy="true">Loading…</p>;
  const d = s.data;
  return (
    <section aria-labelledby="sum-h" data-testid="candidate-summary">
      <p class="small">
        <Link href="/admin/candidates">← Candidates</Link>
      </p>
      <h1 id="sum-h">{d.candidateName}</h1>
      <p class="muted">
        {d.candidateEmail}
        {d.assessment && (
          <>
            {' '}
            · assessment <strong data-testid="summary-assessment">{d.assessment.title}</strong> v
            {d.assessment.version}
          </>
        )}
      </p>
      <table class="grid" data-testid="summary-tasks">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Task</th>
            <th scope="col">Weight</th>
            <th scope="col">Status</th>
            <th scope="col">Auto score</th>
            <th scope="col">Review score</th>
            <th scope="col">Reviews</th>
          </tr>
        </thead>
        <tbody>
          {d.tasks.map((t, i) => (
            <tr key={t.position} data-testid="summary-task" data-status={t.status}>
              <td>{i + 1}</td>
              <td>{t.attemptId ? <Link href={`/review/${t.attemptId}`}>{t.title}</Link> : t.title}</td>
              <td>{t.weight}</td>
              <td>
                <span class={`pill pill-${t.status.replace(/[ _]/g, '-')}`}>
                  {t.status.replace(/_/g, ' ')}
                </span>
              </td>
              <td data-testid="summary-auto">
                {t.autoScore ? `${t.autoScore.passed}/${t.autoScore.total}` : '—'}
              </td>
              <td data-testid="summary-review">{percent(t.reviewScore)}</td>
              <td>{t.reviews.assigned ? `${t.reviews.submitted}/${t.reviews.assigned}` : '—'}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={5}>
              Weighted overall (not attempted counts 0)
            </th>
            <td colSpan={2} data-testid="summary-overall">
              <strong>{percent(d.overall.weightedScore)}</strong>
            </td>
          </tr>
        </tfoot>
      </table>
      {d.decision ? (
        <section
          class="card decision summary-decision"
          aria-labelledby="sdec-h"
          data-testid="summary-decided"
        >
          <h2 id="sdec-h">Decision</h2>
          <p>
            <strong class={`pill pill-${d.decision.decision}`}>{d.decision.decision}</strong> —{' '}
            {d.decision.reason} <span class="muted small">({fmtTime(d.decision.decidedAt)})</span>
          </p>
          <SendFeedback id={id} />
        </section>
      ) : (
        <DecisionForm id={id} summary={d} onDecided={s.reload} />
      )}
    </section>
  );
}

function DecisionForm({
  id,
  summary,
  onDecided,
}: {
  id: string;
  summary: InvitationSummary;
  onDecided(): void;
}) {
  const [choice, setChoice] = useState<Decision | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const waiting = summary.tasks.filter((t) => t.reviews.submitted < t.reviews.assigned);
  return (
    <form
      class="card decision summary-decision"
      aria-labelledby="sdec-h"
      data-testid="summary-decision-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!choice) return setError('Pick advance, reject or hold.');
        if (!reason.trim()) return setError('Write the reason for the decision.');
        setBusy(true);
        setError(null);
        api('POST', `/api/invitations/${encodeURIComponent(id)}/decision`, { decision: choice, reason }).then(
          () => onDecided(),
          (err: Error) => {
            setError(err.message);
            setBusy(false);
          },
        );
      }}
    >
      <h2 id="sdec-h">Decision for the whole {summary.assessment ? 'assessment' : 'invitation'}</h2>
      {waiting.length > 0 && (
        <p class="warn small">
          Reviews still open:{' '}
          {waiting.map((t) => `${t.title} (${t.reviews.submitted}/${t.reviews.assigned})`).join(', ')}.
        </p>
      )}
      <DecisionFields
        prefix="summary-decision"
        reasonId="summary-reason"
        choice={choice}
        onChoice={setChoice}
        reason={reason}
        onReason={setReason}
      />
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      <div class="row end">
        <button type="submit" class="primary" disabled={busy} data-testid="summary-decide">
          Record decision
        </button>
      </div>
    </form>
  );
}

/**
 * Emails the feedback report (each send is in the candidate's delivery log): one email for the whole
 * invitation, a section per decided, reviewed task.
 */
function SendFeedback({ id }: { id: string }) {
  return (
    <SendFeedbackButton
      testid="summary-"
      send={async () => {
        const r = await api<{ to: string; tasks: number }>(
          'POST',
          `/api/invitations/${encodeURIComponent(id)}/feedback/email`,
        );
        return `Feedback email queued to ${r.to}${r.tasks > 1 ? ` (${r.tasks} tasks)` : ''}.`;
      }}
    />
  );
}
