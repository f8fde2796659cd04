/** The code workspace: files, Monaco with tabs, output/tests panel, statement and LLM usage. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { WorkspaceProps } from './workspace.tsx';
import { FileTree } from './file-tree.tsx';
import { RunPanel, type RunControls } from './run-panel.tsx';
import { LlmPanel } from './llm-panel.tsx';
import { AssistantPanel, type ChatMessage } from './assistant-panel.tsx';
import { Statement } from './statement.tsx';
import { EditorHost, modelFor, type CodeEditor, type EditorCommands } from '../editor/host.tsx';
import { useMonaco } from '../state/hooks.ts';
import { Tabs } from '../ui/tabs.tsx';
import { useNarrow } from '../ui/narrow.ts';
import { Splitter } from '../ui/splitter.tsx';
import { useShortcuts } from './shortcuts.ts';

/** The file to open first: the one the candidate is most likely to edit. */
function firstFile(paths: string[], tests: string[]): string | null {
  const code = paths.filter((p) => /\.(m?[jt]s|py)$/.test(p) && !tests.includes(p) && !/^main\./.test(p));
  return code[0] ?? paths[0] ?? null;
}

type Pane = 'files' | 'editor' | 'output' | 'side';

export function CodeWorkspace({ attemptId, docs, materials, assistant, terminal }: WorkspaceProps) {
  const m = useMonaco();
  const [paths, setPaths] = useState(() => docs.paths());
  const [tabs, setTabs] = useState<string[]>(() => {
    const f = firstFile(paths, materials.visibleTests);
    return f ? [f] : [];
  });
  const [active, setActive] = useState<string | null>(tabs[0] ?? null);
  const [side, setSide] = useState<'statement' | 'llm' | 'assistant'>('statement');
  const [chat, setChat] = useState<ChatMessage[]>([]);
  const editor = useRef<CodeEditor | null>(null);
  const [runsDone, setRunsDone] = useState(0);
  const [reveal, setReveal] = useState<{ path: string; line: number; n: number } | null>(null);
  const [runShare, setRunShare] = useState(38);
  const [pane, setPane] = useState<Pane>('editor');
  const narrow = useNarrow();
  const runs = useRef<RunControls | null>(null);
  const column = useRef<HTMLElement>(null);

  const commands: EditorCommands = {
    run: () => (setPane('output'), runs.current?.start('run')),
    test: () => (setPane('output'), runs.current?.start('test')),
    save: () => void docs.saver.flush(),
  };
  useShortcuts(commands);

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
    setPane('editor');
  };
  const close = (p: string) => {
    const rest = tabs.filter((t) => t !== p);
    setTabs(rest);
    if (active === p) setActive(rest[rest.length - 1] ?? null);
  };
  const dispose = (p: string) => m?.monaco.editor.getModel(m.monaco.Uri.file('/' + p))?.dispose();
  const jump = (file: string, line: number) => {
    if (!docs.has(file)) return;
    open(file);
    setReveal((r) => ({ path: file, line, n: (r?.n ?? 0) + 1 }));
  };

  return (
    <div class={`code-layout${narrow ? ' narrow' : ''}`} data-pane={pane}>
      {narrow && (
        <Tabs
          look="bar"
          label="Workspace sections"
          tabs={[
            { id: 'files', label: 'Files', testId: 'pane-files' },
            { id: 'editor', label: 'Editor', testId: 'pane-editor' },
            { id: 'output', label: 'Output', testId: 'pane-output' },
            { id: 'side', label: 'Task', testId: 'pane-side' },
          ]}
          active={pane}
          onChange={(p) => setPane(p as Pane)}
        />
      )}
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
      <section class="center-col" aria-label="Editor" ref={column}>
        <Tabs
          look="bar"
          label="Open files"
          panelClass="editor-panel"
          tabs={tabs.map((t) => ({ id: t, label: t, testId: 'tab', onClose: () => close(t) }))}
          active={active}
          onChange={setActive}
        >
          {active && m ? (
            <EditorHost
              m={m}
              docs={docs}
              path={active}
              label={`Editing ${active}`}
              commands={commands}
              reveal={reveal?.path === active ? reveal : undefined}
              editorRef={editor}
            />
          ) : (
            <div class="editor placeholder">
              {active ? 'Loading the editor…' : 'Open a file from the list.'}
            </div>
          )}
        </Tabs>
        {!narrow && (
          <Splitter
            label="Resize the output panel"
            value={100 - runShare}
            onChange={(v) => setRunShare(100 - v)}
            container={column}
          />
        )}
        <RunPanel
          attemptId={attemptId}
          saver={docs.saver}
          onFinished={() => setRunsDone((n) => n + 1)}
          onJump={jump}
          controls={runs}
          terminal={terminal}
          style={narrow ? undefined : `flex: 0 0 ${runShare}%`}
        />
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
            ...(assistant
              ? [
                  {
                    id: 'assistant',
                    label: 'Assistant',
                    testId: 'assistant-tab',
                    render: () => (
                      <AssistantPanel
                        attemptId={attemptId}
                        messages={chat}
                        setMessages={setChat}
                        editor={editor}
                        activePath={active}
                        onAsked={() => setRunsDone((n) => n + 1)}
                      />
                    ),
                  },
                ]
              : []),
          ]}
          active={side}
          onChange={(s) => setSide(s as typeof side)}
        />
      </aside>
    </div>
  );
}
