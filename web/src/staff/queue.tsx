/** The reviewer's queue: submissions assigned to me, by due date, under code names only. */
import { useEffect } from 'preact/hooks';
import { useGet } from './hooks.ts';
import { Link } from './router.tsx';
import { fmtTime, type QueueItem } from './types.ts';

export function Queue() {
  const q = useGet<{ items: QueueItem[] }>('/api/reviews/queue');
  useEffect(() => void (document.title = 'Review queue · worksample'), []);
  return (
    <section aria-labelledby="queue-h">
      <h1 id="queue-h">Review queue</h1>
      <p class="muted">
        Submissions assigned to you, soonest due first. Candidates appear under a code name until the final
        decision.
      </p>
      {q.error && (
        <p class="error" role="alert">
          {q.error}
        </p>
      )}
      {!q.data && !q.error && <p aria-busy="true">Loading…</p>}
      {q.data && q.data.items.length === 0 && (
        <p data-testid="queue-empty">Nothing assigned to you right now.</p>
      )}
      {q.data && q.data.items.length > 0 && (
        <table class="grid" data-testid="queue">
          <thead>
            <tr>
              <th scope="col">Code name</th>
              <th scope="col">Task</th>
              <th scope="col">Submitted</th>
              <th scope="col">Due</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {q.data.items.map((it) => {
              const overdue = it.status !== 'submitted' && it.dueAt < Date.now();
              return (
                <tr key={it.attemptId} data-testid="queue-row" data-attempt={it.attemptId}>
                  <td>
                    <Link href={`/review/${it.attemptId}`} testId="queue-open">
                      <code>{it.codeName}</code>
                    </Link>
                  </td>
                  <td>
                    {it.task.title} <span class="muted small">v{it.task.version}</span>
                  </td>
                  <td>{fmtTime(it.submittedAt)}</td>
                  <td class={overdue ? 'error' : ''}>
                    {fmtTime(it.dueAt)}
                    {overdue && ' (overdue)'}
                  </td>
                  <td>
                    <span class={`pill pill-${it.status.replace(' ', '-')}`}>{it.status}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
