/** The critique workspace: model outputs to annotate (select a span → category + comment), and questions. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { WorkspaceProps } from './workspace.tsx';
import { Statement } from './statement.tsx';
import {
  ANNOTATIONS,
  ANSWERS,
  parseAnnotations,
  parseAnswers,
  pieces,
  selectionOffsets,
  serializeAnnotations,
  serializeAnswers,
  type Annotation,
} from './annotations.ts';
import { AnnotationList, Draft } from './annotation-list.tsx';

export function CritiqueWorkspace({ docs, materials }: WorkspaceProps) {
  const [list, setList] = useState<Annotation[]>(() => parseAnnotations(docs.get(ANNOTATIONS)));
  const [answers, setAnswers] = useState<Record<string, string>>(() => parseAnswers(docs.get(ANSWERS)));
  const [output, setOutput] = useState(
    materials.outputs.find((o) => o.path === 'answer.md')?.path ?? materials.outputs[0]?.path ?? '',
  );
  const [side, setSide] = useState<'statement' | 'annotations' | 'questions'>('annotations');
  const [draft, setDraft] = useState<Omit<Annotation, 'id' | 'category' | 'comment'> | null>(null);
  const [focus, setFocus] = useState<string | null>(null);
  const textRef = useRef<HTMLPreElement>(null);
  const text = materials.outputs.find((o) => o.path === output)?.content ?? '';

  useEffect(
    () =>
      docs.onReplace((p, content) => {
        if (p === ANNOTATIONS) setList(parseAnnotations(content));
        if (p === ANSWERS) setAnswers(parseAnswers(content));
      }),
    [],
  );

  const saveList = (next: Annotation[]) => {
    setList(next);
    docs.edit(ANNOTATIONS, serializeAnnotations(next));
  };
  const saveAnswer = (id: string, value: string) => {
    const next = { ...answers, [id]: value };
    setAnswers(next);
    docs.edit(ANSWERS, serializeAnswers(next));
  };

  const captureSelection = () => {
    const off = textRef.current && selectionOffsets(textRef.current);
    if (!off || off.end <= off.start) return;
    setDraft({ output, start: off.start, end: off.end, quote: text.slice(off.start, off.end) });
    setSide('annotations');
  };

  const mine = list.filter((a) => a.output === output);
  return (
    <div class="critique-layout">
      <section class="center-col" aria-label="Model outputs">
        <div class="tabs" role="tablist" aria-label="Outputs">
          {materials.outputs.map((o) => (
            <button
              key={o.path}
              type="button"
              role="tab"
              aria-selected={o.path === output}
              class={o.path === output ? 'active' : ''}
              onClick={() => setOutput(o.path)}
            >
              {o.path} <span class="count">{list.filter((a) => a.output === o.path).length}</span>
            </button>
          ))}
        </div>
        <p class="hint muted">
          Select a passage (mouse, or Shift+arrows with caret browsing — F7), then press{' '}
          <kbd>Annotate selection</kbd>.
          <button
            type="button"
            class="small primary"
            onMouseDown={(e) => e.preventDefault()}
            onClick={captureSelection}
            data-testid="annotate"
          >
            Annotate selection
          </button>
        </p>
        <pre
          class="output-text"
          ref={textRef}
          tabIndex={0}
          aria-label={`Model output ${output}`}
          data-testid="output-text"
          onMouseUp={captureSelection}
        >
          {pieces(text, mine).map((p) =>
            p.ids.length ? (
              <mark
                key={p.start}
                class={p.ids.includes(focus ?? '') ? 'focus' : ''}
                onClick={() => (setFocus(p.ids[0]!), setSide('annotations'))}
                title="Annotated"
              >
                {p.text}
              </mark>
            ) : (
              p.text
            ),
          )}
        </pre>
      </section>
      <aside class="right wide">
        <div class="tabs" role="tablist" aria-label="Side panel">
          {(['statement', 'annotations', 'questions'] as const).map((s) => (
            <button
              key={s}
              type="button"
              role="tab"
              aria-selected={side === s}
              class={side === s ? 'active' : ''}
              onClick={() => setSide(s)}
              data-testid={`side-${s}`}
            >
              {s === 'statement'
                ? 'Brief'
                : s === 'annotations'
                  ? `Annotations (${list.length})`
                  : 'Questions'}
            </button>
          ))}
        </div>
        <div class="side-body">
          {side === 'statement' && <Statement markdown={materials.statement} />}
          {side === 'annotations' && (
            <>
              {draft && (
                <Draft
                  quote={draft.quote}
                  categories={materials.categories}
                  onSave={(category, comment) => {
                    saveList([...list, { ...draft, id: crypto.randomUUID().slice(0, 8), category, comment }]);
                    setDraft(null);
                    getSelection()?.removeAllRanges();
                  }}
                  onCancel={() => setDraft(null)}
                />
              )}
              <AnnotationList
                list={list}
                categories={materials.categories}
                focus={focus}
                onChange={saveList}
                onShow={(a) => (setOutput(a.output), setFocus(a.id))}
              />
            </>
          )}
          {side === 'questions' && (
            <ol class="questions">
              {materials.questions.map((q) => (
                <li key={q.id}>
                  <label for={`q-${q.id}`}>{q.prompt}</label>
                  <textarea
                    id={`q-${q.id}`}
                    rows={7}
                    value={answers[q.id] ?? ''}
                    onInput={(e) => saveAnswer(q.id, (e.target as HTMLTextAreaElement).value)}
                    data-testid={`answer-${q.id}`}
                  />
                </li>
              ))}
            </ol>
          )}
        </div>
      </aside>
    </div>
  );
}
