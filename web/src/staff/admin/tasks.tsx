/**
 * Admin/author task pages: the task list, and per task a verify button, its funnel, grading agreement
 * and calibration.
 */
import { useEffect } from 'preact/hooks';
import { useGet } from '../hooks.ts';
import { Link } from '../router.tsx';
import type { Agreement, Funnel, TaskSummary } from '../types.ts';
import { AgreementPlot, CalibrationPlot, FunnelPlot } from './plots.tsx';
import { VerifyPanel } from './verify.tsx';
import { Icon } from '../../ui/icons.tsx';

export function ExportLinks({ task }: { task?: string }) {
  const q = task ? `&task=${encodeURIComponent(task)}` : '';
  return (
    <p class="row" data-testid="export-links">
      <span>Export results{task ? ' for this task' : ''}:</span>
      <a href={`/api/export?format=csv${q}`} download data-testid="export-csv">
        CSV
      </a>
      <a href={`/api/export?format=json${q}`} target="_blank" rel="noopener" data-testid="export-json">
        JSON
      </a>
    </p>
  );
}

export function AdminTasks() {
  const t = useGet<{ tasks: TaskSummary[] }>('/api/tasks');
  useEffect(() => void (document.title = 'Tasks · worksample'), []);
  return (
    <section aria-labelledby="tasks-h">
      <h1 id="tasks-h">Tasks</h1>
      <ExportLinks />
      {t.error && <p class="error">{t.error}</p>}
      {t.data && (
        <table class="grid" data-testid="tasks">
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Kind</th>
              <th scope="col">Latest version</th>
            </tr>
          </thead>
          <tbody>
            {t.data.tasks.map((x) => (
              <tr key={x.slug}>
                <td>
                  <Link href={`/admin/tasks/${x.slug}`} testId={`task-${x.slug}`}>
                    {x.title}
                  </Link>{' '}
                  <code class="small muted">{x.slug}</code>
                </td>
                <td>{x.kind}</td>
                <td>
                  v{x.version} <span class="muted small">({x.versions} in all)</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function TaskPage({ slug }: { slug: string }) {
  const agr = useGet<Agreement>(`/api/tasks/${encodeURIComponent(slug)}/agreement`);
  const fun = useGet<Funnel>(`/api/tasks/${encodeURIComponent(slug)}/funnel`);
  useEffect(() => void (document.title = `${slug} · tasks · worksample`), [slug]);
  return (
    <section aria-labelledby="task-h" class="task-page">
      <p class="small">
        <Link href="/admin">
          <Icon name="arrowLeft" /> Tasks
        </Link>
      </p>
      <h1 id="task-h">
        <code>{slug}</code>
      </h1>
      <ExportLinks task={slug} />
      <VerifyPanel slug={slug} />
      <div class="cards">
        <section class="card" aria-labelledby="fun-h">
          <h2 id="fun-h">Invitations funnel</h2>
          {fun.error && <p class="error">{fun.error}</p>}
          {fun.data && <FunnelPlot counts={fun.data.counts} total={fun.data.total} />}
        </section>
        <section class="card" aria-labelledby="agr-h">
          <h2 id="agr-h">Agreement between reviewers</h2>
          {agr.error && <p class="error">{agr.error}</p>}
          {agr.data && (
            <>
              <p class="small muted" data-testid="agreement-summary">
                {agr.data.submissions} submissions, {agr.data.reviews} submitted reviews.
              </p>
              <AgreementPlot
                rows={[
                  ...agr.data.criteria.map((c) => ({ label: c.title, r: c })),
                  { label: 'Recommendation', r: agr.data.recommendation },
                ]}
              />
            </>
          )}
        </section>
        <section class="card" aria-labelledby="cal-h">
          <h2 id="cal-h">Reviewer calibration</h2>
          {agr.data && <CalibrationPlot rows={agr.data.calibration} />}
        </section>
      </div>
    </section>
  );
}
