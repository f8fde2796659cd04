/**
 * Replay: a scrubber over the attempt's timeline (file revisions, runs, LLM calls, submit). Moving it
 * shows the workspace as it was at that moment; contents come from /revisions/{sha256}, cached.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../../lib/api.ts';
import { useGet } from '../hooks.ts';
import type { LlmView, TimelineEvent } from '../types.ts';
import { deviceSummary, moments, snapshotAt, terminalAt } from './replay-state.ts';
import { Reveal, revealText } from '../../lib/reveal.tsx';
import { Icon } from '../../ui/icons.tsx';

const clock = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

export function Replay({ attemptId }: { attemptId: string }) {
  const ev = useGet<{ events: TimelineEvent[] }>(`/api/attempts/${attemptId}/events`);
  const llm = useGet<LlmView>(`/api/attempts/${attemptId}/llm`);
  const starter = useGet<{ files: { path: string; content: string }[] }>(
    `/api/attempts/${attemptId}/starter`,
  );
  const line = useMemo(
    () => (ev.data ? moments(ev.data.events, llm.data?.calls ?? []) : []),
    [ev.data, llm.data],
  );
  const [pos, setPos] = useState<number | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const [contents, setContents] = useState<Record<string, string>>({});

  const at = pos ?? Math.max(0, line.length - 1);
  const snap = useMemo(
    () =>
      snapshotAt(
        starter.data?.files ?? [],
        line.map((l) => l.event),
        at,
      ),
    [starter.data, line, at],
  );
  const here = line[at];
  const hasTerminal = line.some((l) => l.event?.type.startsWith('terminal.'));
  const terminal = useMemo(
    () =>
      hasTerminal
        ? terminalAt(
            line.map((l) => l.event),
            at,
          )
        : '',
    [hasTerminal, line, at],
  );
  const paths = [...snap.keys()].sort();
  const path =
    chosen && snap.has(chosen)
      ? chosen
      : here?.moment.path && snap.has(here.moment.path)
        ? here.moment.path
        : paths[0];
  const file = path ? snap.get(path) : undefined;
  const sha = file?.sha256 ?? null;

  useEffect(() => {
    if (!sha || contents[sha] !== undefined) return;
    void api<{ content: string }>('GET', `/api/attempts/${attemptId}/revisions/${sha}`).then(
      (r) => setContents((c) => ({ ...c, [sha]: r.content })),
      (e: Error) => setContents((c) => ({ ...c, [sha]: `(could not load: ${e.message})` })),
    );
  }, [sha, attemptId]);

  const err = ev.error ?? starter.error;
  if (err) return <p class="error">{err}</p>;
  if (!ev.data || !starter.data) return <p aria-busy="true">Loading the timeline…</p>;
  if (!line.length) return <p>No timeline recorded.</p>;
  const t0 = line[0]!.moment.at;
  const text = file ? (file.sha256 ? contents[file.sha256] : file.starter) : undefined;

  return (
    <div class="replay" data-testid="replay">
      <div class="replay-controls">
        <button
          type="button"
          class="small"
          onClick={() => setPos(Math.max(0, at - 1))}
          disabled={at === 0}
          aria-label="Previous moment"
        >
          <Icon name="back" />
        </button>
        <label class="replay-label" for="replay-range">
          Moment {at + 1} of {line.length}
        </label>
        <input
          id="replay-range"
          type="range"
          min={0}
          max={line.length - 1}
          value={at}
          data-testid="replay-range"
          aria-valuetext={`${clock(here!.moment.at - t0)}: ${revealText(here!.moment.label)}`}
          onInput={(e) => setPos(Number(e.currentTarget.value))}
        />
        <button
          type="button"
          class="small"
          onClick={() => setPos(Math.min(line.length - 1, at + 1))}
          disabled={at === line.length - 1}
          aria-label="Next moment"
        >
          <Icon name="play" />
        </button>
      </div>
      <ol class="replay-ticks" aria-hidden="true">
        {line.map((l, i) => (
          <li
            key={i}
            class={`tick tick-${l.moment.kind}${i === at ? ' now' : ''}`}
            style={{ left: `${line.length === 1 ? 0 : (100 * i) / (line.length - 1)}%` }}
          />
        ))}
      </ol>
      <Devices events={ev.data?.events ?? []} />
      <p aria-live="polite" data-testid="replay-moment">
        <strong>{clock(here!.moment.at - t0)}</strong> after start — <Reveal text={here!.moment.label} />
      </p>
      <div class="files-view">
        <nav aria-label="Files at this moment" class="file-list">
          <ul>
            {paths.map((p) => (
              <li key={p}>
                <button
                  type="button"
                  class={p === path ? 'active' : ''}
                  aria-current={p === path ? 'true' : undefined}
                  onClick={() => setChosen(p)}
                >
                  <code>
                    <Reveal text={p} />
                  </code>
                  {p === here!.moment.path && <span class="small muted"> (changed here)</span>}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <div class="file-body">
          {path && text === undefined && (
            <p aria-busy="true">
              Loading <Reveal text={path} />…
            </p>
          )}
          {path && text !== undefined && (
            <pre
              class="out code-view"
              data-testid="replay-file"
              aria-label={`${revealText(path)} at this moment`}
            >
              <Reveal text={text} />
            </pre>
          )}
          {!path && <p class="muted">No files at this moment.</p>}
        </div>
      </div>
      {hasTerminal && (
        <section class="replay-terminal" aria-label="Terminal at this moment">
          <h4>Terminal at this moment</h4>
          <pre class="out code-view" data-testid="replay-terminal">
            {terminal ? <Reveal text={terminal} /> : <span class="muted">(not opened yet)</span>}
          </pre>
        </section>
      )}
    </div>
  );
}

/** A note when the attempt was opened in more than one browser (or another one was refused). */
function Devices({ events }: { events: TimelineEvent[] }) {
  const { browsers, refused } = deviceSummary(events);
  if (browsers.length <= 1 && refused === 0) return null;
  return (
    <p class="note small" data-testid="devices">
      Opened in {browsers.length} browser{browsers.length === 1 ? '' : 's'}:{' '}
      {browsers.map((b, i) => `${i + 1}. ${b}`).join('; ')}
      {refused > 0 && ` · ${refused} other browser${refused === 1 ? '' : 's'} refused (locked to the first)`}.
      The moments are on the timeline below.
    </p>
  );
}
