/** Run history and the LLM transcript of a submission (hidden tests: grading.tsx). */
import { useGet } from '../hooks.ts';
import { fmtTime, type LlmView, type Run } from '../types.ts';

export const ms = (n: number | null) =>
  n === null ? '—' : n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`;

export function Runs({ attemptId }: { attemptId: string }) {
  const r = useGet<{ runs: Run[] }>(`/api/attempts/${attemptId}/runs`);
  if (r.error) return <p class="error">{r.error}</p>;
  if (!r.data) return <p aria-busy="true">Loading…</p>;
  if (!r.data.runs.length) return <p data-testid="no-runs">The candidate never ran the code.</p>;
  return (
    <ol class="runs">
      {r.data.runs.map((run) => (
        <li key={run.id}>
          <details>
            <summary>
              {run.kind === 'test' ? 'Tests' : 'Run'} <code>{run.argv.join(' ')}</code> —{' '}
              <span class={run.verdict === 'ok' ? 'add-ink' : 'del-ink'}>{run.verdict ?? run.status}</span>
              {run.exitCode !== null && ` (exit ${run.exitCode})`} · {ms(run.durationMs)} ·{' '}
              {fmtTime(run.createdAt)}
            </summary>
            <pre class="out">{run.stdout}</pre>
            {run.stderr && <pre class="out err">{run.stderr}</pre>}
            {run.outputTruncated && <p class="small muted">Output was truncated.</p>}
          </details>
        </li>
      ))}
    </ol>
  );
}

const json = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));

export function Transcript({ attemptId }: { attemptId: string }) {
  const l = useGet<LlmView>(`/api/attempts/${attemptId}/llm`);
  if (l.error) return <p class="error">{l.error}</p>;
  if (!l.data) return <p aria-busy="true">Loading…</p>;
  if (!l.data.enabled) return <p>This task has no model access.</p>;
  if (!l.data.calls.length) return <p>No model calls were made.</p>;
  return (
    <div>
      <p>
        {l.data.usage.requests} calls, {l.data.usage.tokens} tokens.
        {l.data.calls.some((c) => c.origin === 'assistant') &&
          ' Calls marked “IDE assistant” are the candidate’s chat with the assistant in the editor; the others came from their code.'}
      </p>
      <ol class="runs">
        {l.data.calls.map((c) => (
          <li key={c.id}>
            <details>
              <summary>
                {c.origin === 'assistant' ? (
                  <span class="assistant-use" data-testid="call-origin">
                    IDE assistant
                  </span>
                ) : (
                  <span class="muted" data-testid="call-origin">
                    from code
                  </span>
                )}{' '}
                <code>{c.model}</code> {c.endpoint} — status {c.status}
                {c.errorCode && <span class="del-ink"> ({c.errorCode})</span>} · {c.promptTokens}+
                {c.completionTokens} tokens · {ms(c.latencyMs)} · {fmtTime(c.createdAt)}
              </summary>
              <h3 class="small">Request</h3>
              <pre class="out">{json(c.request)}</pre>
              <h3 class="small">Response</h3>
              <pre class="out">{c.content ?? json(c.response)}</pre>
            </details>
          </li>
        ))}
      </ol>
    </div>
  );
}
