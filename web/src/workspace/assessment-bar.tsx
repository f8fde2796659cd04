/**
 * Inside an assessment: the bar under the workspace header ("Assessment · Task 2 of 3 · Overview",
 * previous / next) and "Submit all" with a confirm dialog that names what it would submit as it is and
 * what would count as not attempted. Moving away saves first (the caller's `go` flushes).
 */
import { useRef, useState } from 'preact/hooks';
import { neighbours, pendingTasks, type AssessmentTask, type AssessmentView } from '../lib/assessment.ts';

export function AssessmentBar({
  a,
  position,
  go,
  onSubmitAll,
}: {
  a: AssessmentView;
  position: number;
  /** Saves, then moves this session to another task (`null`: the overview). */
  go(position: number | null): Promise<void>;
  onSubmitAll(): Promise<void>;
}) {
  const { index, prev, next } = neighbours(a, position);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const move = async (p: number | null) => {
    setBusy(true);
    setError(null);
    try {
      await go(p);
    } catch (e) {
      setError(`Could not move: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      // The page usually changes; when it does not (a task's landing page to the next), stay usable.
      setBusy(false);
    }
  };
  return (
    <nav class="assessment-bar" aria-label="Assessment" data-testid="assessment-bar">
      <span class="muted">Assessment</span>
      <span aria-hidden="true">·</span>
      <span data-testid="assessment-position">
        Task {index + 1} of {a.tasks.length}
      </span>
      <span aria-hidden="true">·</span>
      <button
        type="button"
        class="link"
        disabled={busy}
        data-testid="to-overview"
        onClick={() => void move(null)}
      >
        Overview
      </button>
      <span class="spacer" />
      <button
        type="button"
        class="small"
        disabled={busy || !prev}
        data-testid="prev-task"
        aria-label={prev ? `Previous task: ${prev.title}` : 'No previous task'}
        onClick={() => prev && void move(prev.position)}
      >
        ← Previous
      </button>
      <button
        type="button"
        class="small"
        disabled={busy || !next}
        data-testid="next-task"
        aria-label={next ? `Next task: ${next.title}` : 'No next task'}
        onClick={() => next && void move(next.position)}
      >
        Next →
      </button>
      <SubmitAllButton tasks={a.tasks} onConfirm={onSubmitAll} small />
      {error && (
        <span class="field-error" role="alert">
          {error}
        </span>
      )}
    </nav>
  );
}

/** "Submit all" and its confirm dialog, naming the tasks in progress and the ones never started. */
export function SubmitAllButton({
  tasks,
  onConfirm,
  small = false,
}: {
  tasks: readonly AssessmentTask[];
  onConfirm(): Promise<void>;
  small?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { inProgress, notStarted } = pendingTasks(tasks);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      dialog.current?.close();
    } catch (e) {
      setError(`Submitting failed: ${e instanceof Error ? e.message : String(e)}. Try again.`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        class={small ? 'small primary' : 'primary'}
        disabled={busy}
        data-testid="submit-all"
        onClick={() => dialog.current?.showModal()}
      >
        Submit all
      </button>
      <dialog ref={dialog} aria-labelledby="submit-all-h" class="modal" data-testid="submit-all-dialog">
        <form method="dialog">
          <h2 id="submit-all-h">Submit the whole assessment?</h2>
          <p>After this you cannot change anything in any task.</p>
          {inProgress.length > 0 && (
            <div data-testid="submit-all-in-progress">
              <p>Submitted as they are now:</p>
              <ul>
                {inProgress.map((t) => (
                  <li key={t.position}>{t.title}</li>
                ))}
              </ul>
            </div>
          )}
          {notStarted.length > 0 && (
            <div class="warn" data-testid="submit-all-not-started">
              <p>Never started — these will count as not attempted:</p>
              <ul>
                {notStarted.map((t) => (
                  <li key={t.position}>{t.title}</li>
                ))}
              </ul>
            </div>
          )}
          {error && (
            <p class="field-error" role="alert">
              {error}
            </p>
          )}
          <div class="row end">
            <button value="cancel" type="submit" autofocus>
              Keep working
            </button>
            <button
              type="button"
              class="primary"
              disabled={busy}
              data-testid="confirm-submit-all"
              onClick={() => void confirm()}
            >
              {busy ? 'Submitting…' : 'Submit all now'}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
