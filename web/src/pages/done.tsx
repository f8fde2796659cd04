/** Pages outside the workspace: submitted confirmation, no invitation, and an unexpected problem. */
import type { Attempt, CandidateView } from '../lib/api.ts';
import { formatDateTime } from '../lib/time.ts';

export function Done({
  cand,
  attempt,
  note,
}: {
  cand: CandidateView;
  attempt: Attempt;
  note?: string | undefined;
}) {
  const when = attempt.submittedAt ? formatDateTime(attempt.submittedAt) : '';
  const byDeadline = attempt.submitReason === 'deadline' || Boolean(note);
  return (
    <main class="center done" data-testid="done">
      <h1>{byDeadline ? 'Time is up — your work was submitted' : 'Submitted — thank you'}</h1>
      <p data-testid="done-text">
        Your work on <strong>{cand.task.title}</strong> was submitted{when ? ` at ${when}` : ''}
        {byDeadline ? ' when the time limit was reached' : ''}. The workspace is now locked; nothing more is
        needed from you.
      </p>
      {note && <p class="muted">{note}</p>}
      <p>The hiring team will review it and get back to you. You can close this tab.</p>
    </main>
  );
}

export function NoInvitation() {
  return (
    <main class="center" data-testid="no-invitation">
      <h1>worksample</h1>
      <p>To begin a work sample, open the invitation link you were sent by email.</p>
      <p class="muted">
        If the link does not work, it may have expired or been used in another browser — ask the hiring team
        for a new one.
      </p>
    </main>
  );
}

export function Problem({ message, title, retry }: { message: string; title?: string; retry: () => void }) {
  return (
    <main class="center">
      <h1>{title ?? 'Something went wrong'}</h1>
      <p role="alert">{message}</p>
      {!title && <p>Check your connection, then try again. Your saved work is safe on the server.</p>}
      <button type="button" class="primary" onClick={retry}>
        Try again
      </button>
    </main>
  );
}
