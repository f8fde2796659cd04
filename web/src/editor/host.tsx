/** A Monaco editor showing one workspace file; every keystroke goes to Docs (and so to the saver). */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Docs } from '../state/docs.ts';
import type { MonacoModule } from './load.ts';

type Monaco = MonacoModule['monaco'];
type Model = ReturnType<Monaco['editor']['createModel']>;
/** A Monaco code editor instance. */
export type CodeEditor = ReturnType<Monaco['editor']['create']>;

const reduceMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

/** The model for a path, created from Docs on first use; edits flow back into Docs. */
export function modelFor(m: MonacoModule, docs: Docs, path: string): Model {
  const uri = m.monaco.Uri.file('/' + path);
  const existing = m.monaco.editor.getModel(uri);
  if (existing) return existing;
  const model = m.monaco.editor.createModel(docs.get(path), m.languageFor(path), uri);
  model.onDidChangeContent((e) => {
    if (!e.isFlush) docs.edit(path, model.getValue(), e.changes);
  });
  return model;
}

/** The workspace commands the editor offers as keybindings and in its command palette (F1). */
export interface EditorCommands {
  run(): void;
  test(): void;
  save(): void;
}

export function EditorHost({
  m,
  docs,
  path,
  label,
  readOnly = false,
  onReady,
  commands,
  reveal,
  editorRef,
}: {
  m: MonacoModule;
  docs: Docs;
  path: string;
  label: string;
  readOnly?: boolean;
  onReady?: () => void;
  commands?: EditorCommands;
  /** Put the cursor on this line (a new `n` repeats the jump). */
  reveal?: { line: number; n: number };
  /** Set to the editor while it is mounted (the IDE assistant reads the selection and inserts code). */
  editorRef?: { current: CodeEditor | null };
}) {
  const latest = useRef(commands);
  latest.current = commands;
  const el = useRef<HTMLDivElement>(null);
  const editor = useRef<CodeEditor | null>(null);
  const problems = useProblems(m, docs, path);

  useEffect(() => {
    const ed = m.monaco.editor.create(el.current!, {
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 14,
      scrollBeyondLastLine: false,
      tabSize: 2,
      readOnly,
      ariaLabel: label,
      smoothScrolling: !reduceMotion(),
      cursorBlinking: reduceMotion() ? 'solid' : 'blink',
      wordWrap: path.endsWith('.md') ? 'on' : 'off',
    });
    editor.current = ed;
    if (editorRef) editorRef.current = ed;
    if (latest.current) {
      const { KeyMod, KeyCode } = m.monaco;
      const actions: [keyof EditorCommands, string, number][] = [
        ['run', 'Run', KeyMod.CtrlCmd | KeyCode.Enter],
        ['test', 'Run tests', KeyMod.CtrlCmd | KeyMod.Shift | KeyCode.Enter],
        ['save', 'Save now', KeyMod.CtrlCmd | KeyCode.KeyS],
      ];
      for (const [id, actionLabel, key] of actions)
        ed.addAction({
          id: `worksample.${id}`,
          label: `Workspace: ${actionLabel}`,
          keybindings: [key],
          contextMenuGroupId: id === 'save' ? undefined : 'navigation',
          run: () => latest.current?.[id](),
        });
    }
    // Conflict resolved with "take theirs": show the server's text without saving it again.
    const off = docs.onReplace((p, content) => {
      const model = m.monaco.editor.getModel(m.monaco.Uri.file('/' + p));
      if (model && model.getValue() !== content) model.setValue(content);
    });
    return () => {
      off();
      if (editorRef?.current === ed) editorRef.current = null;
      ed.dispose();
    };
  }, []);

  useEffect(() => {
    const ed = editor.current!;
    ed.setModel(modelFor(m, docs, path));
    ed.updateOptions({ ariaLabel: label, readOnly });
    if (!performance.getEntriesByName('editor-interactive').length) performance.mark('editor-interactive');
    document.body.dataset.editorReady = 'true';
    onReady?.();
  }, [path, readOnly]);

  useEffect(() => {
    const ed = editor.current;
    if (!ed || !reveal) return;
    ed.revealLineInCenter(reveal.line);
    ed.setPosition({ lineNumber: reveal.line, column: 1 });
    ed.focus();
  }, [reveal?.n, path]);

  return (
    <>
      <div class="editor" ref={el} data-testid="editor" data-path={path} />
      <p class="editor-status" data-testid="problems" data-errors={problems ?? ''} aria-live="polite">
        {problems === null
          ? ''
          : problems === 0
            ? 'No problems'
            : `${problems} error${problems === 1 ? '' : 's'}`}
      </p>
    </>
  );
}

/**
 * Errors the TypeScript checker (or, for Python, the syntax check) finds in the open file (null until
 * it has answered for this file's current text), rechecked a moment after each change.
 */
function useProblems(m: MonacoModule, docs: Docs, path: string): number | null {
  const [count, setCount] = useState<number | null>(null);
  useEffect(() => {
    const model = modelFor(m, docs, path);
    setCount(null);
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = () =>
      void m.errorCount(model).then(
        (n) => live && setCount(n),
        () => live && setCount(null),
      );
    check();
    const sub = model.onDidChangeContent(() => {
      clearTimeout(timer);
      timer = setTimeout(check, model.getLanguageId() === 'python' ? 300 : 500);
    });
    return () => {
      live = false;
      clearTimeout(timer);
      sub.dispose();
    };
  }, [m, path]);
  return count;
}
