/**
 * Replay: a scrubber over the attempt's timeline (file revisions, the typing between them where the
 * editor recorded it, runs, LLM calls, submit). Moving it, or playing it, shows the workspace as it was
 * at that moment; contents come from /revisions/{sha256}, cached, and typing from /edits.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../../lib/api.ts';
import { useGet } from '../hooks.ts';
import type { EditLogView, LlmView, TimelineEvent } from '../types.ts';
import {
  deviceSummary,
  moments,
  snapshotAt,
  terminalAt,
  typedText,
  withTyping,
  type Step,
} from './replay-state.ts';
import { Reveal, revealText } from '../../lib/reveal.tsx';
import { Icon } from '../../ui/icons.tsx';

const clock = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

export function Replay({ attemptId }: { attemptId: string }) {
  const ev = useGet<{ events: TimelineEvent[] }>(`/api/attempts/${attemptId}/events`);
  const llm = useGet<LlmView>(`/api/attempts/${attemptId}/llm`);
  const starter = useGet<{ files: { path: string; sha256: string; content: string }[] }>(
    `/api/attempts/${attemptId}/starter`,
  );
  const edits = useGet<{ logs: EditLogView[] }>(`/api/attempts/${attemptId}/edits`);
  const line: Step[] = useMemo(
    () =>
      ev.data
        ? withTyping(
            moments(ev.data.events, llm.data?.calls ?? []),
            edits.data?.logs ?? [],
            starter.data?.files ?? [],
          )
        : [],
    [ev.data, llm.data, edits.data, starter.data],
  );
  const [pos, setPos] = useState<number | null>(null);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(4);
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
  const typing = here?.typing && here.typing.path === path ? here.typing : undefined;
  // Playing forward applies only the new changes to the text shown a moment ago.
  const lastTyped = useRef<{ edits: unknown; base: string; upTo: number; text: string } | null>(null);

  // Play: step through the moments at `speed` × the recorded pace (pauses shortened, at most 1.5 s).
  useEffect(() => {
    if (!playing) return;
    if (at >= line.length - 1) return setPlaying(false);
    const gap = (line[at + 1]!.moment.at - line[at]!.moment.at) / speed;
    const timer = setTimeout(() => setPos(at + 1), Math.min(1500, Math.max(40, gap)));
    return () => clearTimeout(timer);
  }, [playing, at, speed, line]);

  useEffect(() => {
    if (!sha || contents[sha] !== undefined) return;
    void api<{ content: string }>('GET', `/api/attempts/${attemptId}/revisions/${sha}`).then(
      (r) => setContents((c) => ({ ...c, [sha]: r.content })),
      (e: Error) => setContents((c) => ({ ...c, [sha]: `(could not load: ${e.message})` })),
    );
  }, [sha, attemptId]);

  const err = ev.error ?? starter.error;
  if (err) return <p class="error">{err}</p>;
  // Typing moments shift the moments' positions: wait for them (a failure just leaves them out).
  if (!ev.data || !starter.data || (!edits.data && !edits.error))
    return <p aria-busy="true">Loading the timeline…</p>;
  if (!line.length) return <p>No timeline recorded.</p>;
  const t0 = line[0]!.moment.at;
  const saved = file ? (file.sha256 ? contents[file.sha256] : file.starter) : undefined;
  let text = saved;
  if (typing && saved !== undefined) {
    const prev = lastTyped.current;
    const from = prev && prev.edits === typing.edits && prev.base === saved ? prev : undefined;
    text = typedText(saved, typing.edits, typing.upTo, from);
    lastTyped.current = { edits: typing.edits, base: saved, upTo: typing.upTo, text };
  }

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
          onInput={(e) => {
            setPlaying(false);
            setPos(Number(e.currentTarget.value));
          }}
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
      <div class="replay-playbar">
        <button
          type="button"
          class="small"
          data-testid="replay-play"
          onClick={() => {
            if (!playing && at >= line.length - 1) setPos(0);
            setPlaying(!playing);
          }}
          aria-label={playing ? 'Pause' : 'Play'}
          aria-pressed={playing}
        >
          <Icon name={playing ? 'pause' : 'play'} /> {playing ? 'Pause' : 'Play'}
        </button>
        <select
          class="replay-speed"
          aria-label="Playback speed"
          data-testid="replay-speed"
          value={speed}
          onChange={(e) => setSpeed(Number(e.currentTarget.value))}
        >
          {[1, 4, 16, 64].map((s) => (
            <option key={s} value={s}>
              {s}×
            </option>
          ))}
        </select>
      </div>
      <Devices events={ev.data?.events ?? []} />
      <p aria-live={playing ? 'off' : 'polite'} data-testid="replay-moment">
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
                  {p === here!.moment.path && (
                    <span class="small muted">{here!.typing ? ' (typing)' : ' (changed here)'}</span>
                  )}
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
              data-typing={typing ? 'true' : undefined}
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
