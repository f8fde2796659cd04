/** Rebuilds which file held which content at any point of an attempt's timeline (for the replay). */
import type { EditLogView, LlmCall, TimelineEvent } from '../types.ts';

export type Snapshot = Map<string, { sha256: string | null; starter?: string }>;

export interface Moment {
  at: number;
  label: string;
  kind: 'file' | 'typing' | 'run' | 'llm' | 'attempt' | 'other';
  path: string | null;
}

/** The timeline a reviewer scrubs: workspace and run events, plus LLM calls merged in by time. */
export function moments(
  events: TimelineEvent[],
  calls: LlmCall[],
): { moment: Moment; event: TimelineEvent | null }[] {
  const fromEvents = events
    .filter(
      (e) =>
        !e.type.startsWith('review.') && e.type !== 'identity.revealed' && e.type !== 'decision.recorded',
    )
    .map((e) => ({ moment: describe(e), event: e as TimelineEvent | null }));
  // The IDE assistant's calls are on the timeline as its own `assistant.turn` events.
  const fromCalls = calls
    .filter((c) => c.origin !== 'assistant')
    .map((c) => ({
      moment: {
        at: c.createdAt,
        label: `LLM call to ${c.model} (status ${c.status}, ${c.promptTokens + c.completionTokens} tokens)`,
        kind: 'llm' as const,
        path: null,
      },
      event: null,
    }));
  return [...fromEvents, ...fromCalls].sort(
    (a, b) => a.moment.at - b.moment.at || (a.event?.id ?? 0) - (b.event?.id ?? 0),
  );
}

/** One editor change: ms since its batch began, offset, characters removed, text inserted. */
export type Edit = EditLogView['edits'][number];

/** At a typing moment: `path` shows its previous revision with the first `upTo` of `edits` applied. */
export interface Typing {
  path: string;
  edits: Edit[];
  upTo: number;
}

export interface Step {
  moment: Moment;
  event: TimelineEvent | null;
  typing?: Typing;
}

/** A save's typing is shown in at most this many moments (a long burst: a few changes per moment). */
export const MAX_TYPING_STEPS = 40;

/**
 * The timeline with the typing between saves: before each save that has an edit log leading to it
 * from what the file held just before (its previous revision, or its starter file), moments showing
 * the file part-way through the typing. Saves without one replay as before. Their times come from the
 * log's own clock, counted back from the save, and never go before the previous moment.
 */
export function withTyping(
  line: Step[],
  logs: EditLogView[],
  starter: { path: string; sha256: string }[],
): Step[] {
  const held = new Map(starter.map((f) => [f.path, f.sha256]));
  // Logs by the save they lead to (a file may return to a content: each log is used once).
  const byEnd = new Map<string, EditLogView[]>();
  for (const l of logs) {
    const key = `${l.path}\0${l.sha256}`;
    byEnd.set(key, [...(byEnd.get(key) ?? []), l]);
  }
  const out: Step[] = [];
  for (const step of line) {
    const e = step.event;
    if (e?.type === 'file.written' && e.path && e.sha256) {
      const before = held.get(e.path);
      const candidates = byEnd.get(`${e.path}\0${e.sha256}`) ?? [];
      const log = candidates.find((l) => l.baseSha256 === before);
      if (log) {
        candidates.splice(candidates.indexOf(log), 1);
        const n = log.edits.length;
        const per = Math.ceil(n / MAX_TYPING_STEPS);
        const last = log.edits[n - 1]![0];
        const floor = out.at(-1)?.moment.at ?? -Infinity;
        for (let k = per; k < n; k += per) {
          const at = Math.min(e.at, Math.max(floor, e.at - (last - log.edits[k - 1]![0])));
          out.push({
            moment: { at, label: `Typing in ${e.path}: ${k} of ${n} changes`, kind: 'typing', path: e.path },
            event: null,
            typing: { path: e.path, edits: log.edits, upTo: k },
          });
        }
      }
      held.set(e.path, e.sha256);
    } else if (e?.type === 'file.renamed' && e.path) {
      const from = String(e.payload?.from ?? '');
      const sha = e.sha256 ?? held.get(from);
      held.delete(from);
      if (sha) held.set(e.path, sha);
    } else if (e?.type === 'file.deleted' && e.path) held.delete(e.path);
    out.push(step);
  }
  return out;
}

/**
 * `text` with the first `upTo` edits applied. `from`: an earlier result for the same text and edits
 * (playing forward applies only the new edits).
 */
export function typedText(
  text: string,
  edits: readonly Edit[],
  upTo: number,
  from?: { upTo: number; text: string },
): string {
  let out = from && from.upTo <= upTo ? from.text : text;
  for (let i = from && from.upTo <= upTo ? from.upTo : 0; i < upTo && i < edits.length; i++) {
    const [, offset, removed, inserted] = edits[i]!;
    out = out.slice(0, offset) + inserted + out.slice(offset + removed);
  }
  return out;
}

function describe(e: TimelineEvent): Moment {
  const p = e.payload ?? {};
  switch (e.type) {
    case 'file.written':
      return { at: e.at, label: `Saved ${e.path} (revision ${e.revision})`, kind: 'file', path: e.path };
    case 'file.renamed':
      return { at: e.at, label: `Renamed ${String(p.from)} → ${e.path}`, kind: 'file', path: e.path };
    case 'file.deleted':
      return { at: e.at, label: `Deleted ${e.path}`, kind: 'file', path: e.path };
    case 'run.run':
    case 'run.test':
      return {
        at: e.at,
        label: `${e.type === 'run.test' ? 'Ran tests' : 'Ran the program'}: ${String(p.verdict ?? '')}`,
        kind: 'run',
        path: null,
      };
    case 'attempt.started':
      return { at: e.at, label: 'Started (starter files)', kind: 'attempt', path: null };
    case 'attempt.submitted':
      return { at: e.at, label: `Submitted (${String(p.reason ?? '')})`, kind: 'attempt', path: null };
    case 'attempt.graded':
      return {
        at: e.at,
        label: `Graded: ${String(p.passed)} passed, ${String(p.failed)} failed`,
        kind: 'attempt',
        path: null,
      };
    case 'attempt.device':
      return { at: e.at, label: deviceLabel(p), kind: 'attempt', path: null };
    case 'assistant.turn': {
      const shared = p.shared as { path?: string; chars?: number } | null | undefined;
      return {
        at: e.at,
        label:
          `IDE assistant asked: "${String(p.prompt ?? '')}"` +
          (shared ? ` (shared ${Number(shared.chars) || 0} characters of ${String(shared.path)})` : '') +
          (p.status === 200 ? '' : ` — refused (status ${String(p.status)})`),
        kind: 'llm',
        path: null,
      };
    }
    case 'terminal.opened':
      return { at: e.at, label: 'Opened a terminal', kind: 'run', path: null };
    case 'terminal.io': {
      const typed = typeof p.in === 'string' && p.in ? `typed ${JSON.stringify(showKeys(p.in))}` : '';
      const dropped = (Number(p.droppedIn) || 0) + (Number(p.droppedOut) || 0);
      return {
        at: e.at,
        label:
          `Terminal: ${typed || 'output'}` +
          (dropped ? ` (${dropped} bytes over the recording limit not kept)` : ''),
        kind: 'run',
        path: null,
      };
    }
    case 'terminal.ended':
      return { at: e.at, label: `Terminal closed: ${String(p.reason ?? '')}`, kind: 'run', path: null };
    case 'workspace.edits_full':
      return {
        at: e.at,
        label: 'Typing is no longer recorded (the edit log reached its storage limit); saves still are',
        kind: 'attempt',
        path: null,
      };
    case 'integrity.paste':
      return { at: e.at, label: `Pasted ${Number(p.chars) || 0} characters`, kind: 'attempt', path: null };
    case 'integrity.away':
      return {
        at: e.at,
        label: `Back after ${Math.round((Number(p.ms) || 0) / 1000)} s ${p.reason === 'hidden' ? 'with the tab hidden' : 'in another window'}`,
        kind: 'attempt',
        path: null,
      };
    default:
      return { at: e.at, label: e.type, kind: 'other', path: e.path };
  }
}

const KEYS: Record<string, string> = {
  '\r': '⏎',
  '\n': '⏎',
  '\t': '⇥',
  '\x7f': '⌫',
  '\x1b[A': '↑',
  '\x1b[B': '↓',
  '\x1b[C': '→',
  '\x1b[D': '←',
};

/** Keystrokes as a reviewer reads them: Enter ⏎, Backspace ⌫, arrows, Ctrl+C as ^C. */
export function showKeys(input: string): string {
  return input.replace(/\x1b\[[A-D]|\x1b\[[0-9;?]*[A-Za-z~]|[\x00-\x1f\x7f]/g, (k) =>
    k in KEYS ? KEYS[k]! : k.startsWith('\x1b') ? '' : `^${String.fromCharCode(k.charCodeAt(0) + 64)}`,
  );
}

/**
 * The terminal as it read up to moment `upTo`: recorded output (colours and cursor codes removed),
 * with a marker where output went over the recording limit; the last `maxChars` characters.
 */
export function terminalAt(events: (TimelineEvent | null)[], upTo: number, maxChars = 20_000): string {
  let text = '';
  for (let i = 0; i <= upTo && i < events.length; i++) {
    const e = events[i];
    if (!e?.type.startsWith('terminal.')) continue;
    const p = e.payload ?? {};
    if (e.type === 'terminal.opened') text += text ? '\n── new shell ──\n' : '';
    if (typeof p.out === 'string') text += p.out;
    if (Number(p.droppedOut) > 0) text += `\n[… ${Number(p.droppedOut)} bytes of output not recorded …]\n`;
    if (e.type === 'terminal.ended') text += `\n[${String(p.reason ?? 'closed')}]\n`;
  }
  const plain = text
    .replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*(\x07|\x1b\\)|\x1b[()][A-Za-z0-9]/g, '')
    .replace(/\r+\n/g, '\n')
    .replace(/[^\n]*\r(?!\n)/g, '') // a carriage return redraws its line: keep what came after it
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  return plain.length > maxChars ? plain.slice(-maxChars) : plain;
}

/** The workspace after applying every file event up to and including `upTo` to the starter files. */
export function snapshotAt(
  starter: { path: string; content: string }[],
  events: (TimelineEvent | null)[],
  upTo: number,
): Snapshot {
  const files: Snapshot = new Map(starter.map((f) => [f.path, { sha256: null, starter: f.content }]));
  for (let i = 0; i <= upTo && i < events.length; i++) {
    const e = events[i];
    if (!e) continue;
    if (e.type === 'file.written' && e.path) files.set(e.path, { sha256: e.sha256 });
    else if (e.type === 'file.renamed' && e.path) {
      const from = String(e.payload?.from ?? '');
      const prev = files.get(from);
      files.delete(from);
      files.set(e.path, e.sha256 ? { sha256: e.sha256 } : (prev ?? { sha256: null }));
    } else if (e.type === 'file.deleted' && e.path) files.delete(e.path);
  }
  return files;
}

/** "Firefox on Windows" from a user agent; the raw string when nothing is recognised. */
export function browserName(ua: string): string {
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : '';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(ua)
          ? 'macOS'
          : /Linux|X11/.test(ua)
            ? 'Linux'
            : '';
  if (!browser && !os) return ua ? ua.slice(0, 80) : 'unknown browser';
  return [browser || 'a browser', os && `on ${os}`].filter(Boolean).join(' ');
}

/** The timeline line for an `attempt.device` event (server/attempts/devices.ts). */
export function deviceLabel(p: Record<string, unknown>): string {
  const ua = browserName(String(p.userAgent ?? ''));
  const id = String(p.device ?? '').slice(0, 6);
  if (p.refused)
    return `Refused another browser (${ua}, device ${id}): the task is locked to the first browser`;
  if (p.browser === 1) return `Opened in browser 1 (${ua}, device ${id})`;
  return `Opened in another browser: browser ${String(p.browser)} (${ua}, device ${id})`;
}

/** Device events of a timeline: how many browsers opened the attempt, and how many were refused. */
export function deviceSummary(events: TimelineEvent[]): { browsers: string[]; refused: number } {
  const devices = events.filter((e) => e.type === 'attempt.device').map((e) => e.payload ?? {});
  return {
    browsers: devices.filter((d) => !d.refused).map((d) => browserName(String(d.userAgent ?? ''))),
    refused: devices.filter((d) => d.refused).length,
  };
}
