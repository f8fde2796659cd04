/** The invitation landing page: what the task is, the rules, and Start (the clock starts only then). */
import { useState } from 'preact/hooks';
import { api, type Attempt, type CandidateView, type RubricCriterion } from '../lib/api.ts';
import { NARROW_PX, useNarrow } from '../ui/narrow.ts';

export function Landing({ cand, onStarted }: { cand: CandidateView; onStarted: (a: Attempt) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const t = cand.task;
  const narrow = useNarrow();
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const { attempt } = await api<{ attempt: Attempt }>('POST', '/api/candidate/start');
      onStarted(attempt);
    } catch (e) {
      setError(
        `Could not start: ${e instanceof Error ? e.message : String(e)}. Check your connection and try again.`,
      );
      setBusy(false);
    }
  };
  const kind = { code: 'Code', critique: 'Critique', written: 'Written' }[t.kind] ?? t.kind;
  return (
    <main class="landing" data-testid="landing">
      <p class="eyebrow">Hello {cand.candidateName} — you have been invited to a work sample</p>
      <h1>{t.title}</h1>
      <p class="lead">{t.summary}</p>
      <dl class="facts">
        <div>
          <dt>Kind</dt>
          <dd>{kind} task</dd>
        </div>
        <div>
          <dt>Time limit</dt>
          <dd data-testid="time-limit">{t.timeLimitMinutes} minutes</dd>
        </div>
        <div>
          <dt>LLM from your code</dt>
          <dd>
            {t.llm.enabled
              ? `Allowed through the built-in gateway (${t.llm.models.join(', ')})`
              : 'Not available'}
          </dd>
        </div>
        <div>
          <dt>AI assistant in the editor</dt>
          <dd data-testid="assistant-policy">
            {t.llm.assistant === 'chat'
              ? 'An AI assistant is available in the editor; its conversation is recorded and shown to reviewers'
              : 'Not available'}
          </dd>
        </div>
        {t.kind === 'code' && (
          <div>
            <dt>Terminal</dt>
            <dd data-testid="terminal-policy">
              {t.terminal
                ? 'A terminal in your sandbox is available; what you type and its output are recorded and shown to reviewers'
                : 'Not available'}
            </dd>
          </div>
        )}
        {t.llm.enabled && t.llm.budget && (
          <div>
            <dt>LLM budget</dt>
            <dd>
              {t.llm.budget.maxRequests} requests, {t.llm.budget.maxTotalTokens.toLocaleString()} tokens,{' '}
              {t.llm.budget.requestsPerMinute} per minute
            </dd>
          </div>
        )}
      </dl>
      <section aria-labelledby="rules-h">
        <h2 id="rules-h">Rules</h2>
        <ul>
          <li>The clock starts when you press Start and keeps running if you close the tab.</li>
          <li>
            Your work saves automatically, also while offline; at the time limit it is submitted for you.
          </li>
          <li>
            You may use documentation and search engines
            {t.llm.enabled ? ' and the LLM gateway (its calls are recorded)' : ''}.
          </li>
          <li>Do the work yourself: no help from other people.</li>
          <li>
            For the reviewers, the workspace notes large pastes, time spent away from this page and opening
            the attempt in another browser, and records your typing in the editor so they can replay how the
            work took shape.
          </li>
        </ul>
      </section>
      {t.rubric?.length ? <Rubric criteria={t.rubric} /> : null}
      {narrow && (
        <p class="narrow-warning" role="note" data-testid="narrow-warning">
          <strong>This screen is small for this task.</strong> The workspace is made for a window at least{' '}
          {NARROW_PX} pixels wide (a laptop or desktop). On this screen it shows one section at a time. You
          can still start here, but the clock runs from Start, so switch devices first if you can.
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button class="primary big" type="button" onClick={start} disabled={busy} data-testid="start">
        {busy ? 'Starting…' : `Start — the ${t.timeLimitMinutes}-minute clock starts now`}
      </button>
    </main>
  );
}

function Rubric({ criteria }: { criteria: RubricCriterion[] }) {
  return (
    <section aria-labelledby="rubric-h" data-testid="rubric">
      <h2 id="rubric-h">How your work is assessed</h2>
      {criteria.map((c) => (
        <details key={c.id}>
          <summary>
            <strong>{c.title}</strong>
            {c.weight && c.weight !== 1 ? ` (weight ${c.weight})` : ''}
            {c.description ? ` — ${c.description}` : ''}
          </summary>
          <ol class="levels">
            {Object.entries(c.levels).map(([lvl, text]) => (
              <li key={lvl} value={Number(lvl)}>
                {text}
              </li>
            ))}
          </ol>
        </details>
      ))}
    </section>
  );
}
