/** The written workspace: answer.md in Monaco with a live preview, and the questions to answer. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { WorkspaceProps } from './workspace.tsx';
import { EditorHost, type CodeEditor } from '../editor/host.tsx';
import { AssistantPanel, type ChatMessage } from './assistant-panel.tsx';
import { useMonaco } from '../state/hooks.ts';
import { renderMarkdown } from '../lib/markdown.ts';
import { Statement } from './statement.tsx';
import { Tabs } from '../ui/tabs.tsx';

export const ANSWER = 'answer.md';

/** A first answer.md: one section per question, so reviewers find each answer. */
function template(questions: { id: string; prompt: string }[]): string {
  return questions.length
    ? questions.map((q) => `## ${q.id}\n\n<!-- ${q.prompt.replace(/--/g, '—')} -->\n\n`).join('')
    : '# Answer\n\n';
}

export function WrittenWorkspace({ attemptId, docs, materials, assistant }: WorkspaceProps) {
  const m = useMonaco();
  if (!docs.has(ANSWER)) docs.edit(ANSWER, template(materials.questions));
  const [text, setText] = useState(docs.get(ANSWER));
  const [side, setSide] = useState<'questions' | 'statement' | 'assistant'>('questions');
  const [chat, setChat] = useState<ChatMessage[]>([]);
  const editor = useRef<CodeEditor | null>(null);

  // Live preview, refreshed a moment after typing stops.
  useEffect(() => {
    let t: ReturnType<typeof setTimeout> | undefined;
    const off = docs.onChange((path, content) => {
      if (path !== ANSWER) return;
      clearTimeout(t);
      t = setTimeout(() => setText(content), 150);
    });
    return () => (off(), clearTimeout(t));
  }, []);
  const html = useMemo(() => renderMarkdown(text), [text]);

  return (
    <div class="written-layout">
      <section class="center-col" aria-label="Your answer">
        <div class="panel-head">
          <h2>answer.md</h2>
          <span class="muted small">Markdown · saved automatically</span>
        </div>
        {m ? (
          <EditorHost m={m} docs={docs} path={ANSWER} label="Your answer, in Markdown" editorRef={editor} />
        ) : (
          <div class="editor placeholder">Loading the editor…</div>
        )}
      </section>
      <section class="preview" aria-label="Preview">
        <div class="panel-head">
          <h2>Preview</h2>
        </div>
        <article class="prose" data-testid="preview" dangerouslySetInnerHTML={{ __html: html }} />
      </section>
      <aside class="right">
        <Tabs
          look="bar"
          label="Side panel"
          panelClass="side-body"
          tabs={[
            { id: 'questions', label: 'Questions', testId: 'side-questions' },
            { id: 'statement', label: 'Brief', testId: 'side-statement' },
            ...(assistant ? [{ id: 'assistant', label: 'Assistant', testId: 'assistant-tab' }] : []),
          ]}
          active={side}
          onChange={(s) => setSide(s as typeof side)}
        >
          {side === 'assistant' ? (
            <AssistantPanel
              attemptId={attemptId}
              messages={chat}
              setMessages={setChat}
              editor={editor}
              activePath={ANSWER}
              onAsked={() => {}}
            />
          ) : side === 'statement' ? (
            <Statement markdown={materials.statement} />
          ) : (
            <ol class="questions">
              {materials.questions.map((q) => (
                <li key={q.id}>
                  <p>
                    <code>## {q.id}</code>
                  </p>
                  <p>{q.prompt}</p>
                </li>
              ))}
            </ol>
          )}
        </Tabs>
      </aside>
    </div>
  );
}
