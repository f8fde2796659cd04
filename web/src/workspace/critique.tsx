/**
 * The critique workspace: model outputs to annotate (select a span with the mouse or the keyboard →
 * category + comment), and questions.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { WorkspaceProps } from './workspace.tsx';
import { Statement } from './statement.tsx';
import {
  ANNOTATIONS,
  ANSWERS,
  parseAnnotations,
  parseAnswers,
  selectionOffsets,
  serializeAnnotations,
  serializeAnswers,
  type Annotation,
} from './annotations.ts';
import { AnnotationList, Draft } from './annotation-list.tsx';
import { OutputText } from './output-text.tsx';
import { Tabs } from '../ui/tabs.tsx';

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

  const openDraft = (start: number, end: number) => {
    setDraft({ output, start, end, quote: text.slice(start, end) });
    setSide('annotations');
  };
  const captureSelection = () => {
    const off = textRef.current && selectionOffsets(textRef.current);
    if (off && off.end > off.start) openDraft(off.start, off.end);
  };
  // The form is gone once saved or cancelled: put focus back where the passage was chosen.
  const closeDraft = () => {
    setDraft(null);
    textRef.current?.focus();
  };

  const mine = list.filter((a) => a.output === output);
  return (
    <div class="critique-layout">
      <section class="center-col" aria-label="Model outputs">
        <Tabs
          look="bar"
          label="Outputs"
          panelClass="output-panel"
          tabs={materials.outputs.map((o) => ({
            id: o.path,
            label: (
              <>
                {o.path} <span class="count">{list.filter((a) => a.output === o.path).length}</span>
              </>
            ),
            testId: `output-tab-${o.path}`,
          }))}
          active={output}
          onChange={setOutput}
        >
          <OutputText
            path={output}
            text={text}
            annotations={mine}
            focus={focus}
            held={draft && draft.output === output ? draft : null}
            textRef={textRef}
            onMark={(id) => (setFocus(id), setSide('annotations'))}
            onMouseSelection={captureSelection}
            onKeyboardSelection={openDraft}
          />
        </Tabs>
      </section>
      <aside class="right wide">
        <Tabs
          look="bar"
          label="Side panel"
          panelClass="side-body"
          tabs={[
            { id: 'statement', label: 'Brief', testId: 'side-statement' },
            { id: 'annotations', label: `Annotations (${list.length})`, testId: 'side-annotations' },
            { id: 'questions', label: 'Questions', testId: 'side-questions' },
          ]}
          active={side}
          onChange={(s) => setSide(s as typeof side)}
        >
          {side === 'statement' && <Statement markdown={materials.statement} />}
          {side === 'annotations' && (
            <>
              {draft && (
                <Draft
                  quote={draft.quote}
                  categories={materials.categories}
                  onSave={(category, comment) => {
                    saveList([...list, { ...draft, id: crypto.randomUUID().slice(0, 8), category, comment }]);
                    getSelection()?.removeAllRanges();
                    closeDraft();
                  }}
                  onCancel={closeDraft}
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
        </Tabs>
      </aside>
    </div>
  );
}
