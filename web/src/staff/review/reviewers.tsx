/**
 * Who reviews this submission (admin): how many reviewers are assigned and have submitted, and a form
 * to add one by hand (with an optional due date) or to top up by round robin to the task's quota.
 * The review page reports counts only; names show once a reviewer has submitted.
 */
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.ts';
import { useGet } from '../hooks.ts';
import type { ReviewPage, StaffAccount } from '../types.ts';
import { formatDateTime } from '../../lib/time.ts';

export function ReviewersPanel({
  page,
  submittedBy,
  onAssigned,
}: {
  page: ReviewPage;
  submittedBy: string[];
  onAssigned(): void;
}) {
  const users = useGet<{ users: StaffAccount[] }>('/api/users');
  // Deactivated reviewers cannot be assigned (the server refuses them).
  const reviewers = (users.data?.users ?? []).filter(
    (u) => u.role === 'reviewer' && u.status !== 'deactivated',
  );
  const [pick, setPick] = useState('');
  const [days, setDays] = useState('');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const nameOf = (id: string) => reviewers.find((u) => u.id === id)?.name ?? id;

  const assign = async (reviewerIds?: string[]) => {
    const dueInDays = days.trim() ? Number(days) : undefined;
    if (dueInDays !== undefined && !(dueInDays > 0 && dueInDays <= 60))
      return setError('Due in days must be a number from 1 to 60.');
    setBusy(true);
    setError(null);
    setMsg(null);
    try {
      const { assigned } = await api<{ assigned: string[] }>(
        'POST',
        `/api/reviews/${page.attemptId}/assignments`,
        { ...(reviewerIds ? { reviewerIds } : {}), ...(dueInDays ? { dueInDays } : {}) },
      );
      if (assigned.length) {
        setMsg(`Assigned ${assigned.map(nameOf).join(', ')}.`);
        setPick('');
        onAssigned();
      } else
        setMsg(
          reviewerIds
            ? `${reviewerIds.map(nameOf).join(', ')} is already assigned.`
            : 'Nobody added: the task’s reviewers per submission are already assigned.',
        );
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="reviewers" aria-labelledby="revs-h" aria-busy={busy} data-testid="reviewers">
      <h2 id="revs-h">Reviewers</h2>
      <p data-testid="reviewers-progress">
        {page.progress.assigned} assigned, {page.progress.submitted} submitted.
      </p>
      {page.assignees?.length ? (
        <ul class="small" data-testid="assignees">
          {page.assignees.map((a) => (
            <li key={a.id}>
              {a.name} — {a.status}, due {formatDateTime(a.dueAt)}
            </li>
          ))}
        </ul>
      ) : (
        submittedBy.length > 0 && <p class="small muted">Submitted by {submittedBy.join(', ')}.</p>
      )}
      {users.error && <p class="error">{users.error}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!pick) return setError('Choose a reviewer to assign.');
          void assign([pick]);
        }}
      >
        <label>
          Reviewer
          <select
            value={pick}
            disabled={busy}
            data-testid="assign-reviewer"
            onChange={(e) => setPick(e.currentTarget.value)}
          >
            <option value="">Choose a reviewer…</option>
            {reviewers.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.email})
              </option>
            ))}
          </select>
        </label>
        <label>
          Due in days
          <input
            type="number"
            min={1}
            max={60}
            step={1}
            placeholder="3"
            value={days}
            disabled={busy}
            data-testid="assign-days"
            onInput={(e) => setDays(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary" disabled={busy} data-testid="assign-submit">
          Assign
        </button>
        <button type="button" disabled={busy} data-testid="assign-auto" onClick={() => void assign()}>
          Assign automatically
        </button>
      </form>
      <p class="small" role="status" data-testid="assign-msg">
        {msg}
      </p>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
