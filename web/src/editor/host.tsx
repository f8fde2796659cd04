/** A Monaco editor showing one workspace file; every keystroke goes to Docs (and so to the saver). */
import { useEffect, useRef } from 'preact/hooks';
import type { Docs } from '../state/docs.ts';
import type { MonacoModule } from './load.ts';

type Monaco = MonacoModule['monaco'];
type Model = ReturnType<Monaco['editor']['createModel']>;

const reduceMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

/** The model for a path, created from Docs on first use; edits flow back into Docs. */
export function modelFor(m: MonacoModule, docs: Docs, path: string): Model {
  const uri = m.monaco.Uri.file('/' + path);
  const existing = m.monaco.editor.getModel(uri);
  if (existing) return existing;
  const model = m.monaco.editor.createModel(docs.get(path), m.languageFor(path), uri);
  model.onDidChangeContent((e) => {
    if (!e.isFlush) docs.edit(path, model.getValue());
  });
  return model;
}

export function EditorHost({
  m,
  docs,
  path,
  label,
  readOnly = false,
  onReady,
}: {
  m: MonacoModule;
  docs: Docs;
  path: string;
  label: string;
  readOnly?: boolean;
  onReady?: () => void;
}) {
  const el = useRef<HTMLDivElement>(null);
  const editor = useRef<ReturnType<Monaco['editor']['create']> | null>(null);

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
    // Conflict resolved with "take theirs": show the server's text without saving it again.
    const off = docs.onReplace((p, content) => {
      const model = m.monaco.editor.getModel(m.monaco.Uri.file('/' + p));
      if (model && model.getValue() !== content) model.setValue(content);
    });
    return () => {
      off();
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

  return <div class="editor" ref={el} data-testid="editor" data-path={path} />;
}
