/**
 * One started attempt: loads materials and files, restores unsent edits from IndexedDB, and hosts the
 * kind-specific workspace under the header. Submits (by the candidate or at the deadline) and locks.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  api,
  fileUrl,
  type Attempt,
  type CandidateView,
  type FileBody,
  type FileInfo,
  type Materials,
} from '../lib/api.ts';
import { Saver } from '../state/saver.ts';
import { Docs } from '../state/docs.ts';
import { SignalCollector } from '../state/signals.ts';
import { Header } from './header.tsx';
import { ConflictBanner } from './conflicts.tsx';
import { CodeWorkspace } from './code.tsx';
import { CritiqueWorkspace } from './critique.tsx';
import { WrittenWorkspace } from './written.tsx';
import { AssessmentBar } from './assessment-bar.tsx';
import type { AssessmentView } from '../lib/assessment.ts';

/** A workspace opened as one task of an assessment: the bar, moving between tasks, Submit all. */
export interface AssessmentNav {
  view: AssessmentView;
  position: number;
  /** Moves to another task (`null`: the overview); the workspace has saved before it is called. */
  go(position: number | null): Promise<void>;
  /** Submits every task (the workspace has saved first). */
  submitAll(): Promise<void>;
}

export interface WorkspaceProps {
  attemptId: string;
  docs: Docs;
  materials: Materials;
  files: FileInfo[];
  /** The task offers the IDE assistant (`llm.assistant: chat`). */
  assistant?: boolean;
  /** The task has a terminal (code tasks unless `terminal: false`). */
  terminal?: boolean;
}

export function Workspace({
  cand,
  attempt,
  onDone,
  assessment,
}: {
  cand: CandidateView;
  attempt: Attempt;
  onDone: (a: Attempt, note?: string) => void;
  assessment?: AssessmentNav | undefined;
}) {
  const finishing = useRef(false);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const saver = useMemo(() => new Saver(attempt.id, () => void finish(true)), [attempt.id]);
  const docs = useMemo(() => new Docs(saver), [saver]);
  useEffect(() => () => saver.dispose(), [saver]);
  // Large pastes and time away from the page, for the reviewers (the landing page says so).
  const signals = useRef<SignalCollector | null>(null);
  useEffect(() => {
    const collector = new SignalCollector(attempt.id);
    signals.current = collector;
    return () => collector.dispose();
  }, [attempt.id]);
  const [sandboxWarning, setSandboxWarning] = useState<string | null>(null);
  const [loaded, setLoaded] = useState<{ materials: Materials; files: FileInfo[] } | null>(null);

  // The local sandbox gives no isolation: everyone who opens the workspace is told.
  useEffect(() => {
    fetch('/api/ready')
      .then((r) => r.json() as Promise<{ sandbox?: { warning?: string } }>)
      .then(
        (r) => setSandboxWarning(r.sandbox?.warning ?? null),
        () => {},
      );
  }, []);

  useEffect(() => {
    void (async () => {
      try {
        const [materials, { files }] = await Promise.all([
          api<Materials>('GET', `/api/attempts/${attempt.id}/materials`),
          api<{ files: FileInfo[] }>('GET', `/api/attempts/${attempt.id}/files`),
        ]);
        const bodies = await Promise.all(files.map((f) => api<FileBody>('GET', fileUrl(attempt.id, f.path))));
        for (const b of bodies) if (b.encoding === 'utf8') docs.load(b.path, b.content);
        const restored = await saver.init(files);
        for (const [path, content] of restored) docs.load(path, content);
        setLoaded({ materials, files });
      } catch (e) {
        setError(
          `Could not load your workspace: ${e instanceof Error ? e.message : String(e)}. Reload the page to try again.`,
        );
      }
    })();
  }, [attempt.id]);

  /** Saves what can be saved, submits, locks. At the deadline this runs without asking. */
  async function finish(timeUp: boolean) {
    if (finishing.current) return;
    finishing.current = true;
    setSubmitting(true);
    // Writes are accepted for a short grace period after the deadline, so queued edits still land.
    await Promise.race([
      Promise.all([saver.flush(), signals.current?.flush()]),
      new Promise((r) => setTimeout(r, timeUp ? 8000 : 15000)),
    ]);
    try {
      const { attempt: a } = await api<{ attempt: Attempt }>(
        'POST',
        `/api/attempts/${attempt.id}/submit${timeUp ? '?timeUp=true' : ''}`,
      );
      saver.lock();
      onDone(
        a,
        timeUp ? 'The time limit was reached, so the page submitted your work automatically.' : undefined,
      );
    } catch (e) {
      finishing.current = false;
      setSubmitting(false);
      setError(
        `Submitting failed: ${e instanceof Error ? e.message : String(e)}. Check your connection and press Submit again.`,
      );
    }
  }

  /** Before leaving this task (another task, the overview, Submit all): everything queued is sent. */
  const flushAll = async () => {
    await Promise.race([
      Promise.all([saver.flush(), signals.current?.flush()]),
      new Promise((r) => setTimeout(r, 15000)),
    ]);
  };

  const kind = loaded?.materials.kind ?? cand.task.kind;
  return (
    <div class={`app kind-${kind}`} data-testid="workspace">
      <Header
        title={cand.task.title}
        deadlineAt={attempt.deadlineAt}
        saver={saver}
        submitting={submitting}
        onDeadline={() => void finish(true)}
        onSubmit={() => void finish(false)}
        oneOfMany={Boolean(assessment)}
      />
      {assessment && (
        <AssessmentBar
          a={assessment.view}
          position={assessment.position}
          go={async (p) => {
            await flushAll();
            await assessment.go(p);
          }}
          onSubmitAll={async () => {
            finishing.current = true;
            await flushAll();
            try {
              await assessment.submitAll();
              saver.lock();
            } catch (e) {
              finishing.current = false;
              throw e;
            }
          }}
        />
      )}
      {submitting && (
        <div class="lock-overlay" role="alert" data-testid="locking">
          Submitting your work…
        </div>
      )}
      {error && (
        <p class="error banner" role="alert">
          {error}
        </p>
      )}
      {sandboxWarning && (
        <p class="banner warn" role="note" data-testid="sandbox-warning">
          {sandboxWarning}
        </p>
      )}
      <ConflictBanner docs={docs} />
      {loaded ? (
        kind === 'code' ? (
          <CodeWorkspace
            attemptId={attempt.id}
            docs={docs}
            {...loaded}
            assistant={cand.task.llm.assistant === 'chat'}
            terminal={cand.task.terminal}
          />
        ) : kind === 'critique' ? (
          <CritiqueWorkspace attemptId={attempt.id} docs={docs} {...loaded} />
        ) : (
          <WrittenWorkspace
            attemptId={attempt.id}
            docs={docs}
            {...loaded}
            assistant={cand.task.llm.assistant === 'chat'}
          />
        )
      ) : (
        !error && <p class="center">Loading your workspace…</p>
      )}
    </div>
  );
}
