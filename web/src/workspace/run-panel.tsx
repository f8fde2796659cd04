/**
 * Run / Run tests with live output. The run's events arrive over SSE (EventSource resumes with
 * Last-Event-ID by itself after a dropped connection); stdout and stderr keep their ANSI colours.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Run as RunRecord } from '../lib/api.ts';
import { ansiToSegments, initialAnsi, type Segment } from '../lib/ansi.ts';
import type { Saver, SaverState } from '../state/saver.ts';
import { Tabs } from '../ui/tabs.tsx';
import { TestList, type TestResults } from './test-results.tsx';
import { Icon } from '../ui/icons.tsx';
import { TerminalPanel } from './terminal-panel.tsx';

interface Run {
  id: string;
  kind: 'run' | 'test';
  /** Place in line for a sandbox (1 = next), 0 once started. */
  queuePosition?: number | null;
}
interface Exit {
  verdict: string;
  exitCode: number | null;
  durationMs: number;
}
interface Line extends Segment {
  stream: 'stdout' | 'stderr' | 'info';
}

const MAX_SEGMENTS = 5000;

/** 1 → "1st", 2 → "2nd", 11 → "11th", 23 → "23rd". */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** What the status line says while a run waits or runs. */
export function waitingText(status: string, position: number): string {
  if (status === 'queued' && position > 0)
    return position === 1
      ? 'Waiting for a sandbox — next in line…'
      : `Waiting for a sandbox — ${ordinal(position)} in line…`;
  return `${status}…`;
}

/**
 * What a run about to start cannot include: files whose latest edits the server refused, and files
 * in conflict (the server's version runs until the candidate chooses). Null when the run is current.
 */
export function staleWarning(s: Pick<SaverState, 'unsaved' | 'conflicts'>): string | null {
  const stale = [
    ...s.unsaved.map((u) => `${u.path} (${u.reason})`),
    ...s.conflicts.map((c) => `${c.path} (a conflict to resolve)`),
  ];
  if (!stale.length) return null;
  return `Warning: this runs the last saved version of ${stale.join(', ')} — not what the editor shows.`;
}

/** Imperative handle: the workspace's shortcuts and command palette start runs through it. */
export interface RunControls {
  start(kind: 'run' | 'test'): void;
}

export function RunPanel({
  attemptId,
  saver,
  onFinished,
  onJump,
  controls,
  style,
  terminal = false,
}: {
  attemptId: string;
  /** The task has a terminal (`terminal` in task.yaml): a Terminal tab beside Output and Tests. */
  terminal?: boolean;
  saver: Saver;
  onFinished: () => void;
  onJump(file: string, line: number): void;
  controls?: { current: RunControls | null };
  style?: string;
}) {
  const [tab, setTab] = useState<'output' | 'tests' | 'terminal'>('output');
  const [tests, setTests] = useState<TestResults | null>(null);
  const [run, setRun] = useState<Run | null>(null);
  const [status, setStatus] = useState<string>('idle');
  const [out, setOut] = useState<Line[]>([]);
  const [exit, setExit] = useState<Exit | null>(null);
  const [stdin, setStdin] = useState('');
  const [position, setPosition] = useState(0);
  const source = useRef<EventSource | null>(null);
  const pre = useRef<HTMLPreElement>(null);
  const stick = useRef(true);

  useEffect(() => () => source.current?.close(), []);
  useEffect(() => {
    if (stick.current && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [out]);

  const append = (lines: Line[]) => setOut((prev) => [...prev, ...lines].slice(-MAX_SEGMENTS));
  const info = (text: string) => append([{ text: text + '\n', cls: 'info', stream: 'info' }]);

  const running = status === 'queued' || status === 'running' || status === 'saving';
  const start = async (kind: 'run' | 'test') => {
    if (running) return;
    source.current?.close();
    setOut([]);
    setExit(null);
    setStatus('saving');
    await saver.flush();
    // Say so when the sandbox gets older text than the editor shows (a file the server refused).
    const stale = staleWarning(saver.state());
    if (stale) info(stale);
    setStatus('queued');
    let r: Run;
    try {
      ({ run: r } = await api<{ run: Run }>('POST', `/api/attempts/${attemptId}/runs`, {
        kind,
        interactive: true,
      }));
    } catch (e) {
      setStatus('idle');
      info(
        e instanceof ApiError
          ? `Could not start: ${e.message}`
          : 'Could not start: you seem to be offline. Try again when connected.',
      );
      return;
    }
    setRun(r);
    setPosition(r.queuePosition ?? 0);
    const ansi = { stdout: initialAnsi(), stderr: initialAnsi() };
    const es = new EventSource(`/api/attempts/${attemptId}/runs/${r.id}/events`);
    source.current = es;
    for (const stream of ['stdout', 'stderr'] as const) {
      es.addEventListener(stream, (e) => {
        const text = JSON.parse((e as MessageEvent<string>).data) as string;
        append(ansiToSegments(text, ansi[stream]).map((s) => ({ ...s, stream })));
      });
    }
    es.addEventListener('queued', (e) =>
      setPosition((JSON.parse((e as MessageEvent<string>).data) as { position: number }).position),
    );
    es.addEventListener('status', (e) => {
      setPosition(0);
      setStatus((JSON.parse((e as MessageEvent<string>).data) as { status: string }).status);
    });
    // The server is shutting down: the stream ends without an exit (EventSource would reconnect).
    es.addEventListener('closed', (e) => {
      es.close();
      const { reason } = JSON.parse((e as MessageEvent<string>).data) as { reason: string };
      info(`Stopped: ${reason}. Your files are saved; run again in a moment.`);
      setStatus('idle');
      setPosition(0);
      onFinished();
    });
    es.addEventListener('exit', (e) => {
      es.close();
      setExit(JSON.parse((e as MessageEvent<string>).data) as Exit);
      setStatus('done');
      onFinished();
      if (kind === 'test')
        void api<{ run: RunRecord }>('GET', `/api/attempts/${attemptId}/runs/${r.id}`).then(
          ({ run }) => {
            setTests(run.tests ?? null);
            if (run.tests?.tests.length) setTab('tests');
          },
          () => {},
        );
    });
  };
  if (controls) controls.current = { start: (kind) => void start(kind) };

  const send = async (close: boolean) => {
    if (!run) return;
    try {
      await api('POST', `/api/attempts/${attemptId}/runs/${run.id}/stdin`, {
        data: close ? stdin : stdin + '\n',
        close,
      });
      append([{ text: stdin + (close ? '' : '\n'), cls: 'echo', stream: 'info' }]);
      setStdin('');
    } catch (e) {
      info(`Input not sent: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const cancel = async () => {
    if (!run) return;
    await api('POST', `/api/attempts/${attemptId}/runs/${run.id}/cancel`).catch(() => {});
  };

  return (
    <section class="run-panel" aria-labelledby="output-h" data-testid="run-panel" style={style}>
      <div class="panel-head">
        <h2 id="output-h">Output</h2>
        <div class="row">
          <button
            type="button"
            class="primary"
            onClick={() => void start('run')}
            disabled={running}
            data-testid="run"
            title="Run (Ctrl+Enter)"
          >
            <Icon name="play" /> Run
          </button>
          <button
            type="button"
            onClick={() => void start('test')}
            disabled={running}
            data-testid="run-tests"
            title="Run tests (Ctrl+Shift+Enter)"
          >
            Run tests
          </button>
          <button
            type="button"
            onClick={() => void cancel()}
            disabled={!running || !run}
            data-testid="cancel"
          >
            Cancel
          </button>
        </div>
        <p class="run-status" aria-live="polite" data-testid="run-status">
          {exit ? (
            <span class={`verdict verdict-${exit.verdict}`} data-testid="verdict">
              {exit.verdict}
              {exit.exitCode !== null ? ` (exit ${exit.exitCode})` : ''} ·{' '}
              {(exit.durationMs / 1000).toFixed(2)} s
            </span>
          ) : running ? (
            <span data-testid="run-waiting">{waitingText(status, position)}</span>
          ) : (
            'Not run yet'
          )}
        </p>
      </div>
      <Tabs
        look="bar"
        label="Run results"
        panelClass="output-panel"
        tabs={[
          { id: 'output', label: 'Output', testId: 'output-tab' },
          {
            id: 'tests',
            label: tests ? `Tests ${tests.passed}/${tests.tests.length}` : 'Tests',
            testId: 'tests-tab',
          },
          ...(terminal ? [{ id: 'terminal', label: 'Terminal', testId: 'terminal-tab' }] : []),
        ]}
        active={tab}
        onChange={(t) => setTab(t as typeof tab)}
      >
        {/* Kept mounted once opened: switching tabs does not drop the shell's connection. */}
        {terminal && <TerminalPanel attemptId={attemptId} visible={tab === 'terminal'} />}
        {tab === 'terminal' ? null : tab === 'tests' ? (
          <TestList report={tests} onJump={onJump} />
        ) : (
          <>
            <pre
              class="terminal"
              ref={pre}
              tabIndex={0}
              aria-label="Program output"
              data-testid="output"
              onScroll={(e) => {
                const t = e.currentTarget;
                stick.current = t.scrollTop + t.clientHeight >= t.scrollHeight - 8;
              }}
            >
              {out.map((s, i) => (
                <span key={i} class={`${s.stream} ${s.cls}`}>
                  {s.text}
                </span>
              ))}
            </pre>
            <form
              class="stdin row"
              onSubmit={(e) => {
                e.preventDefault();
                void send(false);
              }}
            >
              <label for="stdin-input">Input</label>
              <input
                id="stdin-input"
                value={stdin}
                disabled={!running}
                placeholder={
                  running ? 'Type a line for the program, Enter to send' : 'Available while a program runs'
                }
                onInput={(e) => setStdin((e.target as HTMLInputElement).value)}
                data-testid="stdin"
              />
              <button type="submit" disabled={!running}>
                Send
              </button>
              <button
                type="button"
                disabled={!running}
                onClick={() => void send(true)}
                title="Send and close input (end of file)"
              >
                Send EOF
              </button>
            </form>
          </>
        )}
      </Tabs>
    </section>
  );
}
