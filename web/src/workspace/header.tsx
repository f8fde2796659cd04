/** The workspace header: task title, countdown in server time, save state, Submit. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatLeft, serverNow } from '../lib/clock.ts';
import type { Saver, SaverState } from '../state/saver.ts';
import { useSaverState } from '../state/hooks.ts';

export function Header(props: {
  title: string;
  deadlineAt: number;
  saver: Saver;
  submitting: boolean;
  onDeadline: () => void;
  onSubmit: () => void;
  /** One task of an assessment: Submit submits this task only and returns to the overview. */
  oneOfMany?: boolean;
}) {
  return (
    <header class="topbar">
      <h1 class="task-title" title={props.title}>
        {props.title}
      </h1>
      <SaveIndicator saver={props.saver} />
      <Countdown deadlineAt={props.deadlineAt} onZero={props.onDeadline} />
      <SubmitButton
        saver={props.saver}
        submitting={props.submitting}
        onSubmit={props.onSubmit}
        oneOfMany={props.oneOfMany ?? false}
      />
    </header>
  );
}

function SaveIndicator({ saver }: { saver: Saver }) {
  const s = useSaverState(saver);
  const text = {
    saved: 'All changes saved',
    saving: 'Saving…',
    offline: `Offline — ${s.queued} change${s.queued === 1 ? '' : 's'} queued`,
    conflict: 'Conflict — choose a version',
    error:
      s.unsaved.length > 1
        ? `${s.unsaved.length} files not saved`
        : s.unsaved[0]
          ? `Not saved: ${s.unsaved[0].path}`
          : 'Not saved',
    locked: 'Locked',
  }[s.status];
  return (
    <p class={`save-state save-${s.status}`} data-testid="save-state" data-status={s.status} role="status">
      <span class="dot" aria-hidden="true" />
      {text}
      {s.unsaved.length > 0 && (
        <span class="unsaved-list" data-testid="unsaved-list">
          {s.unsaved.map((u) => (
            <span key={u.path} class="unsaved" data-testid="unsaved">
              {u.path}: {u.reason}
            </span>
          ))}
        </span>
      )}
    </p>
  );
}

/** Time left until `deadlineAt` in server time; calls `onZero` once when it reaches zero. */
export function Countdown({ deadlineAt, onZero }: { deadlineAt: number; onZero: () => void }) {
  const [left, setLeft] = useState(deadlineAt - serverNow());
  const fired = useRef(false);
  useEffect(() => {
    const tick = () => {
      const l = deadlineAt - serverNow();
      setLeft(l);
      if (l <= 0 && !fired.current) {
        fired.current = true;
        onZero();
      }
    };
    tick();
    const t = setInterval(tick, 500);
    return () => clearInterval(t);
  }, [deadlineAt]);
  const urgent = left < 5 * 60_000;
  return (
    <p
      class={`countdown${urgent ? ' urgent' : ''}`}
      role="timer"
      aria-label="Time left"
      data-testid="countdown"
    >
      <span class="muted">Time left</span> <strong>{formatLeft(left)}</strong>
    </p>
  );
}

function SubmitButton({
  saver,
  submitting,
  onSubmit,
  oneOfMany,
}: {
  saver: Saver;
  submitting: boolean;
  onSubmit: () => void;
  oneOfMany: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const s = useSaverState(saver);
  return (
    <>
      <button
        type="button"
        class="primary"
        disabled={submitting}
        onClick={() => dialog.current?.showModal()}
        data-testid="submit"
      >
        {submitting ? 'Submitting…' : oneOfMany ? 'Submit task' : 'Submit'}
      </button>
      <dialog ref={dialog} aria-labelledby="submit-h" class="modal" data-testid="submit-dialog">
        <form method="dialog">
          <h2 id="submit-h">{oneOfMany ? 'Submit this task?' : 'Submit your work?'}</h2>
          <p>
            After submitting you cannot change anything{oneOfMany ? ' in this task' : ''}. The hiring team
            sees the workspace as it is now.
            {oneOfMany ? ' You go back to the overview of the assessment.' : ''}
          </p>
          <UnsavedWork s={s} />
          <div class="row end">
            <button value="cancel" type="submit" autofocus>
              Keep working
            </button>
            <button
              type="button"
              class="primary"
              data-testid="confirm-submit"
              onClick={() => (dialog.current?.close(), onSubmit())}
            >
              Submit now
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

/** What the Submit dialog says about work the server does not have yet — only what is true. */
function UnsavedWork({ s }: { s: SaverState }) {
  const refused = new Set(s.unsaved.map((u) => u.path));
  const waiting = s.queued - s.unsaved.length;
  return (
    <>
      {s.unsaved.length > 0 && (
        <div class="warn" data-testid="submit-unsaved">
          <p>
            {s.unsaved.length === 1 ? 'This file cannot' : 'These files cannot'} be saved, so the last saved
            version is submitted:
          </p>
          <ul>
            {s.unsaved.map((u) => (
              <li key={u.path}>
                <code>{u.path}</code>: {u.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
      {s.conflicts.length > 0 && (
        <p class="warn">
          {s.conflicts.filter((c) => !refused.has(c.path)).length} file(s) have a conflict to resolve; until
          you choose a version, the server's is submitted.
        </p>
      )}
      {waiting > 0 && (
        <p class="warn" data-testid="submit-pending">
          {waiting} change{waiting === 1 ? ' is' : 's are'} not saved yet
          {s.status === 'offline'
            ? ' because you are offline. Reconnect first, or they will be lost.'
            : '; they are saved before submitting.'}
        </p>
      )}
    </>
  );
}
