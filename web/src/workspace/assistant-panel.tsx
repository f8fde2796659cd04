/**
 * The IDE assistant (tasks with `llm.assistant: chat`): a chat with the task's model on the attempt's
 * LLM budget. The candidate may share the open file (or the selection in it); answers render as
 * sanitised Markdown, and each code block offers "Insert at cursor". Every turn is recorded for the
 * reviewers, which the panel says up front.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { renderMarkdown } from '../lib/markdown.ts';
import type { CodeEditor } from '../editor/host.tsx';

export type ChatMessage = { role: 'user' | 'assistant'; content: string };

/** Most characters of a shared file or selection (the server refuses more). */
const SHARE_MAX = 100_000;

/** The open file, or just the selection in it when there is one. */
function shared(ed: CodeEditor | null, path: string | null): { path: string; content: string } | undefined {
  const model = ed?.getModel();
  if (!ed || !model || !path) return undefined;
  const sel = ed.getSelection();
  const picked = sel && !sel.isEmpty() ? model.getValueInRange(sel) : model.getValue();
  return { path, content: picked.slice(0, SHARE_MAX) };
}

/** Replaces the selection (or inserts at the cursor) in the open editor, as one undoable edit. */
function insertAtCursor(ed: CodeEditor | null, text: string): boolean {
  const sel = ed?.getSelection();
  if (!ed || !sel) return false;
  ed.executeEdits('assistant', [{ range: sel, text, forceMoveMarkers: true }]);
  ed.pushUndoStop();
  ed.focus();
  return true;
}

function Answer({ markdown, onInsert }: { markdown: string; onInsert(code: string): void }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const root = el.current!;
    root.innerHTML = renderMarkdown(markdown);
    for (const pre of Array.from(root.querySelectorAll('pre'))) {
      const code = pre.textContent ?? '';
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'small';
      b.textContent = 'Insert at cursor';
      b.dataset.testid = 'assistant-insert';
      b.addEventListener('click', () => onInsert(code.replace(/\n$/, '')));
      pre.after(b);
    }
  }, [markdown]);
  return <div class="assistant-answer markdown" ref={el} />;
}

export function AssistantPanel({
  attemptId,
  messages,
  setMessages,
  editor,
  activePath,
  onAsked,
}: {
  attemptId: string;
  messages: ChatMessage[];
  setMessages(m: ChatMessage[]): void;
  /** The open editor (for the shared file or selection, and "Insert at cursor"). */
  editor: { current: CodeEditor | null };
  activePath: string | null;
  /** After each turn: the LLM usage panel refreshes. */
  onAsked(): void;
}) {
  const [draft, setDraft] = useState('');
  const [share, setShare] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);

  const send = async (e: Event) => {
    e.preventDefault();
    const content = draft.trim();
    if (!content || busy) return;
    const next: ChatMessage[] = [...messages, { role: 'user', content }];
    setMessages(next);
    setDraft('');
    setBusy(true);
    setError(null);
    try {
      const context = share ? shared(editor.current, activePath) : undefined;
      const { reply } = await api<{ reply: string }>('POST', `/api/attempts/${attemptId}/assistant`, {
        messages: next.slice(-40),
        ...(context ? { context } : {}),
      });
      setMessages([...next, { role: 'assistant', content: reply }]);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      // Take the unanswered question back out so the conversation stays user/assistant pairs.
      setMessages(messages);
      setDraft(content);
    } finally {
      setBusy(false);
      onAsked();
    }
  };

  return (
    <div class="assistant" data-testid="assistant-panel">
      <p class="muted small">
        Answers come from the task’s model and spend your LLM budget. This conversation is recorded and shown
        to the reviewers.
      </p>
      <ol class="assistant-log" aria-live="polite">
        {messages.map((m, i) => (
          <li key={i} class={`assistant-msg ${m.role}`} data-testid={`assistant-${m.role}`}>
            <span class="muted small">{m.role === 'user' ? 'You' : 'Assistant'}</span>
            {m.role === 'user' ? (
              <p class="msg">{m.content}</p>
            ) : (
              <Answer
                markdown={m.content}
                onInsert={(code) =>
                  setNote(insertAtCursor(editor.current, code) ? null : 'Open a file first to insert code.')
                }
              />
            )}
          </li>
        ))}
        {busy && <li class="muted">Thinking…</li>}
      </ol>
      {error && (
        <p class="error" role="alert" data-testid="assistant-error">
          {error}
        </p>
      )}
      {note && <p class="muted">{note}</p>}
      <form onSubmit={send} class="assistant-form">
        <label class="sr-only" for="assistant-input">
          Ask the assistant
        </label>
        <textarea
          id="assistant-input"
          data-testid="assistant-input"
          rows={3}
          value={draft}
          placeholder="Ask the assistant…"
          onInput={(e) => setDraft((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void send(e);
          }}
        />
        <label class="small assistant-share">
          <input
            type="checkbox"
            data-testid="assistant-share"
            checked={share}
            onChange={(e) => setShare((e.target as HTMLInputElement).checked)}
          />{' '}
          Share the open file / selection{activePath ? ` (${activePath})` : ''}
        </label>
        <button type="submit" class="primary" data-testid="assistant-send" disabled={busy || !draft.trim()}>
          Ask
        </button>
      </form>
    </div>
  );
}
