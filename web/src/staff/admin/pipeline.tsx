/**
 * The admin's landing page: every candidate and where they stand. Filters, search, sort and page live
 * in the URL and are applied by the server. Live: the page polls every POLL_MS with If-None-Match, so
 * an unchanged pipeline costs a 304 and a stage change shows without a reload. Submissions nobody is
 * assigned to review get a banner with a one-click filter.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { csrfToken } from '../../lib/api.ts';
import { useGet } from '../hooks.ts';
import { Link } from '../router.tsx';
import { fmtTime, type PipelinePage, type PipelineRow, type StaffUser, type TaskSummary } from '../types.ts';
import {
  DECISIONS,
  DEFAULTS,
  fromSearch,
  STAGES,
  toSearch,
  type PipelineState,
  type Sort,
} from './pipeline-query.ts';
import { BulkBar } from './pipeline-bulk.tsx';
import { rowAssessment } from '../assessments/types.ts';
import { assessmentLabel } from '../assessments/target.ts';

export const POLL_MS = 5000;
const at = (iso: string | null) => fmtTime(iso ? Date.parse(iso) : null);

/** Polls GET /api/pipeline for `search`, keeping the last page on a 304. */
function usePipeline(search: string) {
  const [page, setPage] = useState<PipelinePage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const etag = useRef<{ search: string; tag: string } | null>(null);
  useEffect(() => {
    let live = true;
    const load = async () => {
      const headers: Record<string, string> = { 'x-csrf-token': csrfToken() };
      if (etag.current?.search === search) headers['if-none-match'] = etag.current.tag;
      try {
        const res = await fetch(`/api/pipeline${search}`, { headers, credentials: 'same-origin' });
        if (!live || res.status === 304) return;
        const body = await res.json();
        if (!res.ok) throw new Error(body?.error?.message ?? res.statusText);
        etag.current = { search, tag: res.headers.get('etag') ?? '' };
        setPage(body as PipelinePage);
        setError(null);
      } catch (e) {
        if (live) setError(e instanceof Error ? e.message : String(e));
      }
    };
    void load();
    const timer = setInterval(() => void load(), POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [search, tick]);
  return { page, error, reload: () => setTick((t) => t + 1) };
}

function SortHeader({
  s,
  sort,
  label,
  set,
}: {
  s: PipelineState;
  sort: Sort;
  label: string;
  set(p: Partial<PipelineState>): void;
}) {
  const active = s.sort === sort;
  return (
    <th scope="col" aria-sort={active ? (s.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button
        type="button"
        class="link"
        data-testid={`sort-${sort}`}
        onClick={() =>
          set({
            sort,
            dir:
              active && s.dir === 'desc'
                ? 'asc'
                : active
                  ? 'desc'
                  : sort === 'name' || sort === 'task'
                    ? 'asc'
                    : 'desc',
          })
        }
      >
        {label}
        {active ? (s.dir === 'asc' ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
}

function Row({ r, checked, toggle }: { r: PipelineRow; checked: boolean; toggle(): void }) {
  const a = rowAssessment(r);
  return (
    <tr
      data-testid="pipeline-row"
      data-invitation={r.invitationId}
      data-stage={r.stage}
      data-position={a ? a.position : undefined}
    >
      <td>
        <input type="checkbox" checked={checked} onChange={toggle} aria-label={`Select ${r.candidateName}`} />
      </td>
      <td>
        <Link href={`/admin/invitations/${r.invitationId}`} testId="summary-link">
          {r.candidateName}
        </Link>
        <div class="muted small">{r.candidateEmail}</div>
      </td>
      <td data-testid="assessment">{a ? assessmentLabel(a) : '—'}</td>
      <td>
        {r.attemptId ? <Link href={`/review/${r.attemptId}`}>{r.task.title}</Link> : r.task.title}{' '}
        <span class="muted small">v{r.task.version}</span>
      </td>
      <td>
        <span class={`pill pill-${r.stage.replace(' ', '-')}`} data-testid="stage">
          {r.stage}
        </span>
        {r.unassigned && <div class="error small">no reviewer</div>}
      </td>
      <td>{at(r.invitedAt)}</td>
      <td>{at(r.startedAt)}</td>
      <td>
        {at(r.submittedAt)}
        {r.submittedBy === 'deadline' && <div class="small">auto-submitted at deadline</div>}
      </td>
      <td>
        {r.autoScore?.status === 'done' ? `${r.autoScore.percent ?? '—'}%` : (r.autoScore?.status ?? '—')}
      </td>
      <td data-testid="reviews">
        {r.reviews.assigned ? `${r.reviews.done}/${r.reviews.assigned}` : '—'}
        {r.reviews.overdue > 0 && <div class="error small">{r.reviews.overdue} overdue</div>}
        {r.reviews.reviewers.length > 0 && (
          <div class="muted small">{r.reviews.reviewers.map((x) => x.name).join(', ')}</div>
        )}
      </td>
      <td>{r.decision ? <span class={`pill pill-${r.decision}`}>{r.decision}</span> : '—'}</td>
    </tr>
  );
}

export function Pipeline() {
  const [s, setS] = useState<PipelineState>(() => fromSearch(location.search));
  const [qText, setQText] = useState(s.q);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const search = toSearch(s);
  const { page, error, reload } = usePipeline(search);
  const tasks = useGet<{ tasks: TaskSummary[] }>('/api/tasks');
  const users = useGet<{ users: StaffUser[] }>('/api/users');
  const reviewers = (users.data?.users ?? []).filter((u) => u.role !== 'author');
  useEffect(() => void (document.title = 'Candidates · worksample'), []);
  // The address is the state: replaced (not pushed) so Back leaves the page instead of undoing filters.
  useEffect(() => history.replaceState(null, '', `/admin/candidates${search}`), [search]);
  useEffect(() => {
    const t = setTimeout(() => qText !== s.q && set({ q: qText }), 300);
    return () => clearTimeout(t);
  }, [qText]);
  const set = (patch: Partial<PipelineState>) => setS((old) => ({ ...old, page: 1, ...patch }));
  const rows = useMemo(() => new Map((page?.rows ?? []).map((r) => [r.invitationId, r])), [page]);
  const toggle = (id: string) =>
    setSelected((old) => {
      const next = new Set(old);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const pages = page ? Math.max(1, Math.ceil(page.total / page.pageSize)) : 1;
  const allOnPage = page?.rows.length ? page.rows.every((r) => selected.has(r.invitationId)) : false;

  return (
    <section aria-labelledby="pipe-h" class="pipeline">
      <h1 id="pipe-h">Candidates</h1>
      {page && page.unassigned > 0 && (
        <p class="banner warn" role="alert" data-testid="unassigned-banner">
          <strong>
            {page.unassigned} submission{page.unassigned === 1 ? ' has' : 's have'} no reviewer.
          </strong>{' '}
          <button
            type="button"
            class="link"
            onClick={() => set({ ...DEFAULTS, unassigned: true })}
            data-testid="show-unassigned"
          >
            Show them
          </button>
        </p>
      )}
      <div class="stage-tabs" role="group" aria-label="Stage">
        {STAGES.map((st) => (
          <button
            key={st}
            type="button"
            aria-pressed={s.stage.includes(st)}
            data-testid={`stage-${st.replace(' ', '-')}`}
            onClick={() =>
              set({ stage: s.stage.includes(st) ? s.stage.filter((x) => x !== st) : [...s.stage, st] })
            }
          >
            {st} <span class="count">{page?.counts[st] ?? '…'}</span>
          </button>
        ))}
      </div>
      <div class="row filters">
        <div>
          <label for="pipe-q">Search name or email</label>
          <input
            id="pipe-q"
            type="search"
            value={qText}
            onInput={(e) => setQText(e.currentTarget.value)}
            data-testid="pipe-q"
          />
        </div>
        <div>
          <label for="pipe-task">Task</label>
          <select
            id="pipe-task"
            value={s.task}
            onChange={(e) => set({ task: e.currentTarget.value })}
            data-testid="pipe-task"
          >
            <option value="">all tasks</option>
            {(tasks.data?.tasks ?? []).map((t) => (
              <option key={t.slug} value={t.slug}>
                {t.title}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="pipe-reviewer">Reviewer</label>
          <select
            id="pipe-reviewer"
            value={s.reviewer}
            onChange={(e) => set({ reviewer: e.currentTarget.value })}
          >
            <option value="">anyone</option>
            {reviewers.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="pipe-decision">Decision</label>
          <select
            id="pipe-decision"
            value={s.decision}
            onChange={(e) => set({ decision: e.currentTarget.value as PipelineState['decision'] })}
            data-testid="pipe-decision"
          >
            <option value="">any</option>
            {DECISIONS.map((d) => (
              <option key={d} value={d}>
                {d === 'none' ? 'not decided' : d}
              </option>
            ))}
          </select>
        </div>
        <label class="check">
          <input
            type="checkbox"
            checked={s.unassigned}
            onChange={(e) => set({ unassigned: e.currentTarget.checked })}
            data-testid="pipe-unassigned"
          />{' '}
          No reviewer yet
        </label>
      </div>
      {selected.size > 0 && (
        <BulkBar selected={[...selected]} rows={rows} reviewers={reviewers} onDone={reload} />
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!page && !error && <p aria-busy="true">Loading…</p>}
      {page && (
        <>
          <p class="muted small" data-testid="pipe-summary">
            {page.total} candidate{page.total === 1 ? '' : 's'} · page {page.page} of {pages} · live (checked
            every {POLL_MS / 1000} s) · times in your time zone
          </p>
          <table class="grid" data-testid="pipeline">
            <thead>
              <tr>
                <th scope="col">
                  <input
                    type="checkbox"
                    aria-label="Select every row on this page"
                    checked={allOnPage}
                    onChange={() =>
                      setSelected((old) => {
                        const next = new Set(old);
                        for (const r of page.rows)
                          allOnPage ? next.delete(r.invitationId) : next.add(r.invitationId);
                        return next;
                      })
                    }
                  />
                </th>
                <SortHeader s={s} set={set} sort="name" label="Candidate" />
                <th scope="col">Assessment</th>
                <SortHeader s={s} set={set} sort="task" label="Task" />
                <SortHeader s={s} set={set} sort="stage" label="Stage" />
                <SortHeader s={s} set={set} sort="invited" label="Invited" />
                <SortHeader s={s} set={set} sort="started" label="Started" />
                <SortHeader s={s} set={set} sort="submitted" label="Submitted" />
                <SortHeader s={s} set={set} sort="score" label="Auto score" />
                <th scope="col">Reviews</th>
                <th scope="col">Decision</th>
              </tr>
            </thead>
            <tbody>
              {page.rows.map((r) => (
                <Row
                  key={r.attemptId ?? r.invitationId}
                  r={r}
                  checked={selected.has(r.invitationId)}
                  toggle={() => toggle(r.invitationId)}
                />
              ))}
            </tbody>
          </table>
          {page.rows.length === 0 && <p data-testid="pipe-empty">No candidate matches these filters.</p>}
          <div class="row pager">
            <button
              type="button"
              disabled={s.page <= 1}
              onClick={() => setS({ ...s, page: s.page - 1 })}
              data-testid="pipe-prev"
            >
              Previous
            </button>
            <button
              type="button"
              disabled={s.page >= pages}
              onClick={() => setS({ ...s, page: s.page + 1 })}
              data-testid="pipe-next"
            >
              Next
            </button>
            <Link href="/admin/invitations">Invite candidates</Link>
          </div>
        </>
      )}
    </section>
  );
}
