/** The candidate's own LLM usage: calls, tokens, budget left, and the transcript. */
import { useEffect, useState } from 'preact/hooks';
import { api, type LlmView } from '../lib/api.ts';
import { formatTimeOfDay } from '../lib/time.ts';

/** The request as the candidate's code sent it: chat messages are what the transcript shows. */
type ChatRequest = { messages?: { role: string; content: unknown }[] } | null;

export function LlmPanel({ attemptId, refresh }: { attemptId: string; refresh: number }) {
  const [u, setU] = useState<LlmView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<LlmView>('GET', `/api/attempts/${attemptId}/llm`).then(
      (x) => (setU(x), setError(null)),
      (e) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, [attemptId, refresh]);
  if (error) return <p class="error">LLM usage unavailable: {error}</p>;
  if (!u) return <p class="muted">Loading…</p>;
  if (!u.enabled) return <p class="muted">This task does not include the LLM gateway.</p>;
  return (
    <div class="llm" data-testid="llm-panel">
      <dl class="facts compact">
        <div>
          <dt>Calls</dt>
          <dd>
            {u.usage.requests} / {u.budget?.maxRequests}
          </dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd>
            {u.usage.tokens.toLocaleString()} / {u.budget?.maxTotalTokens.toLocaleString()}
          </dd>
        </div>
        <div>
          <dt>Left</dt>
          <dd>
            {u.remaining?.requests} calls, {u.remaining?.tokens.toLocaleString()} tokens
          </dd>
        </div>
      </dl>
      <p class="muted small">
        Your code reaches the model through <code>OPENAI_BASE_URL</code> / <code>OPENAI_API_KEY</code>,
        already set in the sandbox.
      </p>
      <h3>Transcript</h3>
      {u.calls.length === 0 && (
        <p class="muted">No calls yet. Run code that calls the model to see them here.</p>
      )}
      <ol class="transcript">
        {[...u.calls].reverse().map((c) => (
          <li key={c.id}>
            <details>
              <summary>
                {formatTimeOfDay(c.createdAt)} · {c.origin === 'assistant' ? 'IDE assistant · ' : ''}
                {c.model} · {c.status}
                {c.errorCode ? ` ${c.errorCode}` : ''} · {c.promptTokens + c.completionTokens} tokens
              </summary>
              {((c.request as ChatRequest)?.messages ?? []).map((m, i) => (
                <p key={i} class="msg">
                  <strong>{m.role}:</strong>{' '}
                  {typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}
                </p>
              ))}
              <p class="msg reply">
                <strong>reply:</strong> {c.content ?? '(no content)'}
              </p>
            </details>
          </li>
        ))}
      </ol>
    </div>
  );
}
