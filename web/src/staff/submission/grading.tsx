/**
 * Hidden tests of a submission: the current grading (its per-test report, or where it stands as a
 * job — waiting, retrying after an engine error, failed with the reason), a Re-grade button for
 * admins and reviewers, and the earlier gradings it replaced, each with when, why and how it ended.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../lib/api.ts';
import { useGet } from '../hooks.ts';
import { fmtTime, type Grade, type GradeHistory } from '../types.ts';
import { ms } from './evidence.tsx';

const FINAL = new Set<Grade['status']>(['done', 'failed']);

/** Why a grading ran, in words. */
function why(g: Grade): string {
  if (g.reason === 'regrade')
    return `re-graded by ${g.requestedBy?.name ?? 'staff'}${g.note ? ` — “${g.note}”` : ''}`;
  return g.reason === 'deadline' ? 'submitted at the deadline' : 'submitted by the candidate';
}

/** Where a grading stands, in words. */
function standing(g: Grade): string {
  switch (g.status) {
    case 'queued':
      return g.lastError ?? 'waiting for a sandbox';
    case 'running':
      return `grading now (try ${g.tries} of ${g.maxTries})`;
    case 'retry_wait':
      return `${g.lastError ?? 'an engine error'}; trying again at ${fmtTime(g.nextRunAt)}`;
    case 'failed':
      return g.error ?? 'grading failed';
    case 'done':
      return `${g.verdict}: ${g.passed} passed, ${g.failed} failed, ${g.skipped} skipped`;
  }
}

export function HiddenTests({ attemptId, canRegrade }: { attemptId: string; canRegrade: boolean }) {
  const h = useGet<GradeHistory>(`/api/attempts/${attemptId}/grades`);
  const current = h.data?.grades[0];
  // Follow a grading that is still under way.
  useEffect(() => {
    if (!current || FINAL.has(current.status)) return;
    const timer = setTimeout(h.reload, 3000);
    return () => clearTimeout(timer);
  }, [current?.id, current?.status, current?.tries, h.data]);

  if (h.error) return <p class="error">{h.error}</p>;
  if (!h.data) return <p aria-busy="true">Loading…</p>;
  if (!current) return <p>No grade yet.</p>;
  const earlier = h.data.grades.slice(1);
  return (
    <div data-testid="hidden-tests">
      <p data-testid="grade-status" aria-live="polite">
        <strong class={current.status === 'done' && !current.failed ? 'add-ink' : 'del-ink'}>
          {current.status === 'done' ? current.verdict : current.status.replace('_', ' ')}
        </strong>
        {current.status === 'done' &&
          `: ${current.passed} passed, ${current.failed} failed, ${current.skipped} skipped`}
        <span class="small muted">
          {' '}
          · {why(current)} · {fmtTime(current.createdAt)}
        </span>
      </p>
      {current.status === 'failed' ? (
        <p class="error" role="alert" data-testid="grade-failure">
          {current.error}
          {current.lastError && current.lastError !== current.error && (
            <span class="small"> (last engine error: {current.lastError})</span>
          )}
        </p>
      ) : current.status !== 'done' ? (
        <p class="small" data-testid="grade-waiting">
          {standing(current)}
        </p>
      ) : (
        current.error && <p class="error">{current.error}</p>
      )}
      {canRegrade && FINAL.has(current.status) && <Regrade attemptId={attemptId} onQueued={h.reload} />}
      {current.status === 'done' && <TestTable grade={current} />}
      {earlier.length > 0 && (
        <details data-testid="grade-history">
          <summary>Earlier gradings ({earlier.length})</summary>
          <ol class="runs">
            {earlier.map((g) => (
              <li key={g.id} data-testid="grade-history-row">
                {fmtTime(g.createdAt)} · {why(g)} —{' '}
                <span class={g.status === 'done' && !g.failed ? 'add-ink' : 'del-ink'}>{standing(g)}</span>
                {g.tries > 1 && <span class="small muted"> ({g.tries} tries)</span>}
              </li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}

function Regrade({ attemptId, onQueued }: { attemptId: string; onQueued(): void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('POST', `/api/attempts/${attemptId}/grades`, note.trim() ? { note: note.trim() } : {});
      setNote('');
      onQueued();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="row" onSubmit={(e) => void submit(e)} data-testid="regrade">
      <label>
        Reason <span class="muted small">(optional, kept in the history)</span>
        <input
          value={note}
          maxLength={500}
          disabled={busy}
          onInput={(e) => setNote(e.currentTarget.value)}
          data-testid="regrade-note"
        />
      </label>
      <button type="submit" disabled={busy} data-testid="regrade-submit">
        Re-grade
      </button>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function TestTable({ grade }: { grade: Grade }) {
  return (
    <table class="grid">
      <thead>
        <tr>
          <th scope="col">Test</th>
          <th scope="col">Result</th>
          <th scope="col">Duration</th>
        </tr>
      </thead>
      <tbody>
        {grade.tests.map((t, i) => (
          <tr key={i} data-testid="test-row">
            <td>
              {t.name}
              {t.message && t.status === 'failed' && (
                <details>
                  <summary class="small">Message</summary>
                  <pre class="out">{t.message}</pre>
                </details>
              )}
            </td>
            <td>
              <span class={`pill pill-${t.status}`}>{t.status}</span>
            </td>
            <td>{ms(t.durationMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
