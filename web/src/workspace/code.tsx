/** The code workspace: files, Monaco with tabs, output panel, statement and LLM usage. */
import { useEffect, useState } from 'preact/hooks';
import type { WorkspaceProps } from './workspace.tsx';
import { FileTree } from './file-tree.tsx';
import { RunPanel } from './run-panel.tsx';
import { LlmPanel } from './llm-panel.tsx';
import { Statement } from './statement.tsx';
import { EditorHost, modelFor } from '../editor/host.tsx';
import { useMonaco } from '../state/hooks.ts';
import { Tabs } from '../ui/tabs.tsx';

/** The file to open first: the one the candidate is most likely to edit. */
function firstFile(paths: string[], tests: string[]): string | null {
  const code = paths.filter((p) => /\.(m?[jt]s|py)$/.test(p) && !tests.includes(p) && !/^main\./.test(p));
  return code[0] ?? paths[0] ?? null;
}

export function CodeWorkspace({ attemptId, docs, materials }: WorkspaceProps) {
  const m = useMonaco();
  const [paths, setPaths] = useState(() => docs.paths());
  const [tabs, setTabs] = useState<string[]>(() => {
    const f = firstFile(paths, materials.visibleTests);
    return f ? [f] : [];
  });
  const [active, setActive] = useState<string | null>(tabs[0] ?? null);
  const [side, setSide] = useState<'statement' | 'llm'>('statement');
  const [runsDone, setRunsDone] = useState(0);

  // Models for every script so the TS worker sees imports across files.
  useEffect(() => {
    if (!m) return;
    const scripts = paths.filter((p) => /\.(m|c)?[jt]sx?$/.test(p));
    for (const p of scripts) modelFor(m, docs, p);
    if (scripts.length) void m.loadNodeTypes();
  }, [m, paths]);

  const open = (p: string) => {
    setTabs((t) => (t.includes(p) ? t : [...t, p]));
    setActive(p);
  };
  const close = (p: string) => {
    const rest = tabs.filter((t) => t !== p);
    setTabs(rest);
    if (active === p) setActive(rest[rest.length - 1] ?? null);
  };
  const dispose = (p: string) => m?.monaco.editor.getModel(m.monaco.Uri.file('/' + p))?.dispose();

  return (
    <div class="code-layout">
      <aside class="left">
        <FileTree
          attemptId={attemptId}
          docs={docs}
          paths={paths}
          active={active}
          onOpen={open}
          onCreated={(p) => (setPaths(docs.paths()), open(p))}
          onRenamed={(from, to) => {
            dispose(from);
            setPaths(docs.paths());
            setTabs((t) => t.map((x) => (x === from ? to : x)));
            if (active === from) setActive(to);
          }}
          onDeleted={(p) => {
            dispose(p);
            setPaths(docs.paths());
            close(p);
          }}
        />
      </aside>
      <section class="center-col" aria-label="Editor">
        <Tabs
          look="bar"
          label="Open files"
          panelClass="editor-panel"
          tabs={tabs.map((t) => ({ id: t, label: t, testId: 'tab', onClose: () => close(t) }))}
          active={active}
          onChange={setActive}
        >
          {active && m ? (
            <EditorHost m={m} docs={docs} path={active} label={`Editing ${active}`} />
          ) : (
            <div class="editor placeholder">
              {active ? 'Loading the editor…' : 'Open a file from the list.'}
            </div>
          )}
        </Tabs>
        <RunPanel attemptId={attemptId} saver={docs.saver} onFinished={() => setRunsDone((n) => n + 1)} />
      </section>
      <aside class="right">
        <Tabs
          look="bar"
          label="Side panel"
          panelClass="side-body"
          tabs={[
            {
              id: 'statement',
              label: 'Statement',
              render: () => <Statement markdown={materials.statement} />,
            },
            {
              id: 'llm',
              label: 'LLM usage',
              testId: 'llm-tab',
              render: () => <LlmPanel attemptId={attemptId} refresh={runsDone} />,
            },
          ]}
          active={side}
          onChange={(s) => setSide(s as typeof side)}
        />
      </aside>
    </div>
  );
}
