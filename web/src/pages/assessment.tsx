/**
 * The pages of a multi-task assessment outside the workspace: the intro (what it is, the tasks, the
 * clock rule, Start), the overview (each task's status with Open, the overall clock, Submit all) and
 * the final page once everything is submitted. The author's intro is Markdown, rendered through the
 * DOMPurify helper like every task statement.
 */
import { useMemo, useState } from 'preact/hooks';
import type { CandidateView } from '../lib/api.ts';
import {
  clockRule,
  finished,
  KIND_LABEL,
  minutes,
  STATUS_LABEL,
  type AssessmentTask,
  type AssessmentView,
} from '../lib/assessment.ts';
import { renderMarkdown } from '../lib/markdown.ts';
import { formatDateTime } from '../lib/time.ts';
import { serverNow } from '../lib/clock.ts';
import { Countdown } from '../workspace/header.tsx';
import { SubmitAllButton } from '../workspace/assessment-bar.tsx';

/** Runs an action that may fail, showing what went wrong and keeping the button usable. */
function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (what: string, f: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(
        `${what}: ${e instanceof Error ? e.message : String(e)}. Check your connection and try again.`,
      );
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

function TaskFacts({ t, a }: { t: AssessmentTask; a: AssessmentView }) {
  return (
    <span class="muted small">
      {KIND_LABEL[t.kind]} task · {a.clock === 'overall' ? 'shared clock' : minutes(t.timeLimitMinutes)} ·
      weight {t.weight}
    </span>
  );
}

export function AssessmentIntro({
  cand,
  a,
  onStart,
}: {
  cand: CandidateView;
  a: AssessmentView;
  onStart(): Promise<void>;
}) {
  const { busy, error, run } = useAction();
  const intro = useMemo(() => renderMarkdown(a.introMarkdown), [a.introMarkdown]);
  return (
    <main class="landing" data-testid="assessment-intro">
      <p class="eyebrow">Hello {cand.candidateName} — you have been invited to an assessment</p>
      <h1>{a.title}</h1>
      <div class="markdown" data-testid="assessment-intro-text" dangerouslySetInnerHTML={{ __html: intro }} />
      <section aria-labelledby="tasks-h">
        <h2 id="tasks-h">
          {a.tasks.length} task{a.tasks.length === 1 ? '' : 's'}, in this order
        </h2>
        <ol class="assessment-tasks" data-testid="assessment-tasks">
          {a.tasks.map((t) => (
            <li key={t.position} data-testid="assessment-task">
              <strong>{t.title}</strong> — {t.summary}
              <div>
                <TaskFacts t={t} a={a} />
              </div>
            </li>
          ))}
        </ol>
      </section>
      <section aria-labelledby="clock-h">
        <h2 id="clock-h">Time</h2>
        <p data-testid="clock-rule">{clockRule(a)}</p>
        <ul>
          <li>Your work saves automatically, also while offline.</li>
          <li>Do the work yourself: no help from other people.</li>
          <li>
            For the reviewers, the workspace notes large pastes, time spent away from this page and opening
            the assessment in another browser.
          </li>
        </ul>
      </section>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button
        class="primary big"
        type="button"
        disabled={busy}
        data-testid="assessment-start"
        onClick={() => void run('Could not start', onStart)}
      >
        {busy
          ? 'Starting…'
          : a.clock === 'overall'
            ? `Start — the ${minutes(a.timeLimitMinutes ?? 0)} clock starts now`
            : 'Start — see the tasks'}
      </button>
    </main>
  );
}

function TaskState({ t, timeUp = false }: { t: AssessmentTask; timeUp?: boolean }) {
  // After the overall clock ran out the server's sweeper submits what is still open; say so already.
  if (timeUp && t.status === 'started')
    return (
      <span class="task-status status-submitted" data-testid="task-status">
        Submitted at the time limit
      </span>
    );
  return (
    <span class={`task-status status-${t.status}`} data-testid="task-status">
      {STATUS_LABEL[t.status]}
      {t.submitReason === 'deadline' ? ' (auto-submitted at the time limit)' : ''}
    </span>
  );
}

export function AssessmentOverview({
  a,
  note,
  onOpen,
  onSubmitAll,
  onClockOut,
}: {
  a: AssessmentView;
  note?: string | undefined;
  onOpen(position: number): Promise<void>;
  onSubmitAll(): Promise<void>;
  onClockOut(): void;
}) {
  const { busy, error, run } = useAction();
  const done = a.tasks.filter(finished).length;
  return (
    <main class="landing" data-testid="assessment-overview">
      <p class="eyebrow">Assessment</p>
      <h1>{a.title}</h1>
      <div class="row overview-head">
        <p data-testid="overview-progress">
          {done} of {a.tasks.length} task{a.tasks.length === 1 ? '' : 's'} submitted
        </p>
        {a.clock === 'overall' && a.deadlineAt !== null && (
          <Countdown deadlineAt={a.deadlineAt} onZero={onClockOut} />
        )}
      </div>
      {note && (
        <p class="banner" role="status" data-testid="overview-note">
          {note}
        </p>
      )}
      <p class="muted small">{clockRule(a)}</p>
      <table class="overview-table" data-testid="overview-tasks">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Task</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span class="sr-only">Open</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {a.tasks.map((t, i) => (
            <tr key={t.position} data-testid="overview-task" data-status={t.status}>
              <td>{i + 1}</td>
              <td>
                <strong>{t.title}</strong>
                <div>
                  <TaskFacts t={t} a={a} />
                </div>
              </td>
              <td>
                <TaskState t={t} />
                {a.clock === 'per-task' && t.status === 'started' && t.deadlineAt !== null && (
                  <div class="muted small">until {formatDateTime(t.deadlineAt)}</div>
                )}
              </td>
              <td>
                {!finished(t) && (
                  <button
                    type="button"
                    class={t.status === 'started' ? 'primary' : ''}
                    disabled={busy}
                    aria-label={`Open task ${i + 1}: ${t.title}`}
                    data-testid={`open-task-${i + 1}`}
                    onClick={() => void run('Could not open the task', () => onOpen(t.position))}
                  >
                    {t.status === 'started' ? 'Continue' : 'Open'}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="row end">
        <SubmitAllButton tasks={a.tasks} onConfirm={onSubmitAll} />
      </div>
    </main>
  );
}

export function AssessmentFinal({ a }: { a: AssessmentView }) {
  const timeUp =
    a.clock === 'overall' &&
    a.deadlineAt !== null &&
    serverNow() >= a.deadlineAt &&
    a.tasks.some((t) => t.submitReason === 'deadline' || t.status === 'started');
  return (
    <main class="center done" data-testid="assessment-final">
      <h1>{timeUp ? 'Time is up — your work was submitted' : 'Submitted — thank you'}</h1>
      <p data-testid="final-text">
        Your assessment <strong>{a.title}</strong> is complete. Nothing more is needed from you.
      </p>
      <ul data-testid="final-tasks">
        {a.tasks.map((t) => (
          <li key={t.position}>
            {t.title}: <TaskState t={t} timeUp={timeUp} />
          </li>
        ))}
      </ul>
      <p>The hiring team will review it and get back to you. You can close this tab.</p>
    </main>
  );
}
