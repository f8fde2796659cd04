/**
 * Bulk actions over the selected pipeline rows: assign a reviewer, extend, revoke, export. The server
 * does each row on its own; the result of every row is listed (what worked and what did not, and why).
 */
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.ts';
import type { PipelineBulkResult, PipelineRow, StaffUser } from '../types.ts';

type Action =
  | { action: 'assign'; reviewerIds: string[] }
  | { action: 'extend'; days: number }
  | { action: 'revoke' }
  | { action: 'export' }
  | { action: 'remind' };

function download(csv: string) {
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'worksample-selected.csv';
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function BulkBar({
  selected,
  rows,
  reviewers,
  onDone,
}: {
  selected: string[];
  rows: Map<string, PipelineRow>;
  reviewers: StaffUser[];
  onDone(): void;
}) {
  const [reviewer, setReviewer] = useState('');
  const [days, setDays] = useState('7');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<(PipelineBulkResult & { names: Map<string, string> }) | null>(null);
  const reviewerId = reviewer || reviewers[0]?.id || '';

  const run = async (body: Action) => {
    setBusy(true);
    setError(null);
    try {
      // Names as shown when the action ran (a row may leave this page once its stage changes).
      const names = new Map(selected.map((id) => [id, rows.get(id)?.candidateName ?? id]));
      const r = await api<PipelineBulkResult>('POST', '/api/pipeline/bulk', { ...body, ids: selected });
      setResult({ ...r, names });
      if (r.csv !== undefined && r.succeeded) download(r.csv);
      onDone();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card bulk" aria-labelledby="bulk-h" data-testid="bulk-bar">
      <h2 id="bulk-h" class="small">
        {selected.length} selected
      </h2>
      <div class="row">
        <div>
          <label for="bulk-reviewer">Reviewer</label>
          <select
            id="bulk-reviewer"
            value={reviewerId}
            onChange={(e) => setReviewer(e.currentTarget.value)}
            data-testid="bulk-reviewer"
          >
            {reviewers.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.role})
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          disabled={busy || !reviewerId || !selected.length}
          onClick={() => void run({ action: 'assign', reviewerIds: [reviewerId] })}
          data-testid="bulk-assign"
        >
          Assign reviewer
        </button>
        <div>
          <label for="bulk-days">Extend by (days)</label>
          <input
            id="bulk-days"
            type="number"
            min={1}
            max={365}
            value={days}
            onInput={(e) => setDays(e.currentTarget.value)}
          />
        </div>
        <button
          type="button"
          disabled={busy || !selected.length}
          onClick={() => void run({ action: 'extend', days: Number(days) })}
          data-testid="bulk-extend"
        >
          Extend
        </button>
        <button
          type="button"
          disabled={busy || !selected.length}
          onClick={() =>
            confirm(`Revoke ${selected.length} invitation(s)? Their links stop working.`) &&
            void run({ action: 'revoke' })
          }
          data-testid="bulk-revoke"
        >
          Revoke
        </button>
        <button
          type="button"
          disabled={busy || !selected.length}
          onClick={() => void run({ action: 'export' })}
          data-testid="bulk-export"
        >
          Export CSV
        </button>
        <button
          type="button"
          disabled={busy || !selected.length}
          title="Email a fresh link to candidates who have not started (their old link stops working)"
          onClick={() =>
            confirm(`Email a fresh link to ${selected.length} candidate(s)? Their old links stop working.`) &&
            void run({ action: 'remind' })
          }
          data-testid="bulk-remind"
        >
          Remind by email
        </button>
      </div>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      {result && (
        <div role="status" data-testid="bulk-results">
          <p>
            {result.succeeded} done{result.failed ? `, ${result.failed} not done` : ''}.
          </p>
          <ul class="small">
            {result.results.map((r) => (
              <li key={r.invitationId} class={r.ok ? '' : 'error'} data-ok={String(r.ok)}>
                {result.names.get(r.invitationId) ?? r.invitationId}: {r.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
