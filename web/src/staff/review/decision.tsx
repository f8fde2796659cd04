/**
 * The admin's final decision (advance / reject / hold, with a reason). Recording it reveals the
 * candidate's identity; on a decided submission the identity is shown only on request, because
 * every reveal is recorded.
 */
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.ts';
import type { Consolidated, Decision, FeedbackReport, Identity, ReviewPage } from '../types.ts';

const CHOICES: { value: Decision; label: string }[] = [
  { value: 'advance', label: 'Advance' },
  { value: 'reject', label: 'Reject' },
  { value: 'hold', label: 'Hold' },
];

/**
 * The decision's fields: advance / reject / hold and the reason. One form for a submission and one
 * for a whole invitation use them; `prefix` names their ids and test ids (`<prefix>-advance`, …).
 */
export function DecisionFields(props: {
  prefix: string;
  choice: Decision | null;
  onChoice: (d: Decision) => void;
  reason: string;
  onReason: (r: string) => void;
  /** The reason field's id and test id (default `<prefix>-reason`). */
  reasonId?: string;
}) {
  const { prefix, choice } = props;
  const reasonId = props.reasonId ?? `${prefix}-reason`;
  return (
    <>
      <fieldset>
        <legend class="sr-only">Decision</legend>
        <div class="rec-pick">
          {CHOICES.map((c) => (
            <label key={c.value} class={`rec${choice === c.value ? ' picked' : ''}`}>
              <input
                type="radio"
                name={prefix}
                value={c.value}
                checked={choice === c.value}
                data-testid={`${prefix}-${c.value}`}
                onChange={() => props.onChoice(c.value)}
              />
              {c.label}
            </label>
          ))}
        </div>
      </fieldset>
      <label for={reasonId}>Reason</label>
      <textarea
        id={reasonId}
        rows={3}
        data-testid={reasonId}
        value={props.reason}
        onInput={(e) => props.onReason(e.currentTarget.value)}
      />
    </>
  );
}

export function DecisionPanel({
  page,
  all,
  onDecided,
}: {
  page: ReviewPage;
  all: Consolidated;
  onDecided(): void;
}) {
  const [choice, setChoice] = useState<Decision | null>(null);
  const [reason, setReason] = useState('');
  const [who, setWho] = useState<Identity | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ready = page.progress.assigned > 0 && page.progress.submitted >= page.progress.assigned;

  const run = async (f: () => Promise<Identity>) => {
    setBusy(true);
    setError(null);
    try {
      setWho(await f());
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const [feedback, setFeedback] = useState<string | null>(null);
  const loadFeedback = async () => {
    try {
      setFeedback((await api<FeedbackReport>('GET', `/api/reviews/${page.attemptId}/feedback`)).markdown);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const identity = who && (
    <div class="identity" role="status" data-testid="identity">
      <span class="muted small">{who.codeName} is</span> <strong>{who.name}</strong> &lt;{who.email}&gt;
    </div>
  );

  if (all.decision)
    return (
      <section class="decision" aria-labelledby="dec-h" data-testid="decision-done">
        <h2 id="dec-h">Decision</h2>
        <p>
          <strong class={`pill pill-${all.decision.decision}`}>{all.decision.decision}</strong> —{' '}
          {all.decision.reason}
        </p>
        {identity ?? (
          <button
            type="button"
            disabled={busy}
            data-testid="reveal"
            onClick={() => void run(() => api<Identity>('GET', `/api/reviews/${page.attemptId}/identity`))}
          >
            Show identity (the reveal is recorded)
          </button>
        )}
        {feedback === null ? (
          <button type="button" data-testid="feedback" onClick={() => void loadFeedback()}>
            Candidate feedback report
          </button>
        ) : (
          <>
            <label for="feedback-md">
              Feedback report (only evidence reviewers marked shareable; copy to send)
            </label>
            <textarea id="feedback-md" readOnly rows={12} value={feedback} data-testid="feedback-md" />
          </>
        )}
        <SendFeedback attemptId={page.attemptId} />
        {error && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
      </section>
    );

  return (
    <form
      class="decision"
      aria-labelledby="dec-h"
      data-testid="decision-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!choice) return setError('Pick advance, reject or hold.');
        if (!reason.trim()) return setError('Write the reason for the decision.');
        void run(async () => {
          const id = await api<Identity>('POST', `/api/reviews/${page.attemptId}/decision`, {
            decision: choice,
            reason,
          });
          onDecided();
          return id;
        });
      }}
    >
      <h2 id="dec-h">Final decision</h2>
      {!ready && (
        <p class="warn small">
          Waiting for reviews: {page.progress.submitted} of {page.progress.assigned} submitted.
        </p>
      )}
      <DecisionFields
        prefix="decision"
        choice={choice}
        onChoice={setChoice}
        reason={reason}
        onReason={setReason}
      />
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      <div class="row end">
        <button type="submit" class="primary" disabled={busy || !ready} data-testid="decision-submit">
          Record decision and reveal identity
        </button>
      </div>
    </form>
  );
}

/**
 * "Send feedback email" (admins): asks to confirm, calls `send` (which answers what to tell the admin),
 * and shows that or the error. `testid` prefixes the button's and the note's test ids.
 */
export function SendFeedbackButton({ send, testid }: { send: () => Promise<string>; testid: string }) {
  const [state, setState] = useState<{ busy?: boolean; msg?: string; error?: string }>({});
  return (
    <p>
      <button
        type="button"
        disabled={state.busy}
        data-testid={`${testid}send-feedback`}
        onClick={() => {
          if (!confirm('Email the feedback report to the candidate?')) return;
          setState({ busy: true });
          send().then(
            (msg) => setState({ msg }),
            (e: Error) => setState({ error: e.message }),
          );
        }}
      >
        Send feedback email
      </button>{' '}
      {state.msg && (
        <span role="status" data-testid={`${testid}feedback-sent`}>
          {state.msg}
        </span>
      )}
      {state.error && (
        <span class="field-error" role="alert">
          {state.error}
        </span>
      )}
    </p>
  );
}

/** Emails the feedback report to the candidate (the panel is shown to admins only; each send is in the delivery log). */
function SendFeedback({ attemptId }: { attemptId: string }) {
  return (
    <SendFeedbackButton
      testid=""
      send={async () => {
        const r = await api<{ to: string }>('POST', `/api/reviews/${attemptId}/feedback/email`);
        return `Feedback email queued to ${r.to}.`;
      }}
    />
  );
}
