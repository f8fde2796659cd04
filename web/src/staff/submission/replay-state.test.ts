/** The replay a reviewer scrubs: what happened when, and which files existed at each moment. */
import { describe, expect, it } from 'vitest';
import {
  browserName,
  deviceSummary,
  MAX_TYPING_STEPS,
  moments,
  showKeys,
  snapshotAt,
  terminalAt,
  typedText,
  withTyping,
  type Edit,
} from './replay-state.ts';
import type { EditLogView, LlmCall, TimelineEvent } from '../types.ts';

let id = 0;
const ev = (at: number, type: string, path: string | null, extra: Partial<TimelineEvent> = {}) =>
  ({ id: ++id, at, type, path, sha256: null, revision: null, payload: {}, ...extra }) as TimelineEvent;

const events = [
  ev(1000, 'attempt.started', null),
  ev(2000, 'file.written', 'main.py', { sha256: 'h1', revision: 2 }),
  ev(3000, 'run.test', null, { payload: { verdict: 'ok' } }),
  ev(4000, 'file.renamed', 'app.py', { sha256: null, payload: { from: 'main.py' } }),
  ev(5000, 'file.deleted', 'notes.md'),
  ev(6000, 'review.submitted', null),
  ev(6500, 'identity.revealed', null),
  ev(7000, 'attempt.submitted', null, { payload: { reason: 'deadline' } }),
];

const call = { createdAt: 3500, model: 'mock-small', status: 200, promptTokens: 10, completionTokens: 5 };

describe('replay timeline', () => {
  it('merges workspace events and LLM calls by time, without reviewers or the identity reveal', () => {
    const m = moments(events, [call as LlmCall]);
    expect(m.map((x) => x.moment.label)).toEqual([
      'Started (starter files)',
      'Saved main.py (revision 2)',
      'Ran tests: ok',
      'LLM call to mock-small (status 200, 15 tokens)',
      'Renamed main.py → app.py',
      'Deleted notes.md',
      'Submitted (deadline)',
    ]);
    expect(m[3]!.event).toBeNull();
  });

  it('shows IDE assistant turns as such, once (from the timeline event, not again as an LLM call)', () => {
    const turn = ev(3600, 'assistant.turn', 'main.py', {
      payload: { prompt: 'how?', status: 200, shared: { path: 'main.py', chars: 12 } },
    });
    const refused = ev(3700, 'assistant.turn', null, {
      payload: { prompt: 'more?', status: 429, shared: null },
    });
    const assistantCall = { ...call, createdAt: 3600, origin: 'assistant' } as LlmCall;
    const m = moments([...events, turn, refused], [{ ...call, origin: 'code' } as LlmCall, assistantCall]);
    expect(m.filter((x) => x.moment.kind === 'llm').map((x) => x.moment.label)).toEqual([
      'LLM call to mock-small (status 200, 15 tokens)',
      'IDE assistant asked: "how?" (shared 12 characters of main.py)',
      'IDE assistant asked: "more?" — refused (status 429)',
    ]);
  });

  it('rebuilds the files at a moment: starter content, then saves, renames and deletes', () => {
    const starter = [
      { path: 'main.py', content: 'print("starter")\n' },
      { path: 'notes.md', content: '# notes\n' },
    ];
    const atStart = snapshotAt(starter, events, 0);
    expect([...atStart.keys()].sort()).toEqual(['main.py', 'notes.md']);
    expect(atStart.get('main.py')).toEqual({ sha256: null, starter: 'print("starter")\n' });

    expect(snapshotAt(starter, events, 1).get('main.py')).toEqual({ sha256: 'h1' });
    const afterRename = snapshotAt(starter, events, 3);
    expect(afterRename.has('main.py')).toBe(false);
    expect(afterRename.get('app.py')).toEqual({ sha256: 'h1' });
    expect([...snapshotAt(starter, events, events.length - 1).keys()]).toEqual(['app.py']);
  });
});

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

const device = (id: number, payload: Record<string, unknown>): TimelineEvent => ({
  id,
  at: 1000 * id,
  type: 'attempt.device',
  path: null,
  sha256: null,
  revision: null,
  payload,
});

describe('browsers on the replay timeline', () => {
  it('names browsers from their user agent', () => {
    expect(browserName(FIREFOX)).toBe('Firefox on Windows');
    expect(browserName(CHROME)).toBe('Chrome on Linux');
    expect(browserName('')).toBe('unknown browser');
  });

  it('labels each browser that opened the attempt, and refusals', () => {
    const events = [
      device(1, { device: 'aaaaaaaaaaaa', userAgent: CHROME, browser: 1, refused: false }),
      device(2, { device: 'bbbbbbbbbbbb', userAgent: FIREFOX, browser: 2, refused: false }),
      device(3, { device: 'cccccccccccc', userAgent: FIREFOX, browser: 0, refused: true }),
    ];
    expect(moments(events, []).map((m) => m.moment.label)).toEqual([
      'Opened in browser 1 (Chrome on Linux, device aaaaaa)',
      'Opened in another browser: browser 2 (Firefox on Windows, device bbbbbb)',
      'Refused another browser (Firefox on Windows, device cccccc): the task is locked to the first browser',
    ]);
    expect(deviceSummary(events)).toEqual({
      browsers: ['Chrome on Linux', 'Firefox on Windows'],
      refused: 1,
    });
  });

  it('replays the terminal: keystrokes readable, output without terminal codes, limits marked', () => {
    const term = [
      ev(1000, 'terminal.opened', null),
      ev(2000, 'terminal.io', null, {
        payload: { in: 'ls\r', out: '\x1b[?2004h/workspace $ ls\r\n\x1b[32mmain.py\x1b[0m\r\n' },
      }),
      ev(3000, 'terminal.io', null, {
        payload: { in: 'yes\r\x03', out: 'y\r\ny\r\n', droppedOut: 4096 },
      }),
      ev(4000, 'terminal.ended', null, { payload: { reason: 'The attempt was submitted.' } }),
    ];
    expect(moments(term, []).map((m) => m.moment.label)).toEqual([
      'Opened a terminal',
      'Terminal: typed "ls⏎"',
      'Terminal: typed "yes⏎^C" (4096 bytes over the recording limit not kept)',
      'Terminal closed: The attempt was submitted.',
    ]);
    expect(terminalAt(term, 1)).toBe('/workspace $ ls\nmain.py\n');
    expect(terminalAt(term, 3)).toBe(
      '/workspace $ ls\nmain.py\ny\ny\n\n[… 4096 bytes of output not recorded …]\n\n[The attempt was submitted.]\n',
    );
    expect(terminalAt(term, 0)).toBe('');
    expect(showKeys('cd src\t\x7f\x1b[A\r')).toBe('cd src⇥⌫↑⏎');
  });
});

describe('replay of typing between saves', () => {
  const typing = (offset: number, text: string, t0 = 0): Edit[] =>
    [...text].map((ch, i) => [t0 + i * 100, offset + i, 0, ch] as Edit);
  const log = (path: string, base: string, sha256: string, edits: Edit[]): EditLogView => ({
    path,
    baseSha256: base,
    sha256,
    at: 0,
    edits,
    dropped: 0,
  });
  const starter = [{ path: 'main.py', sha256: 's0', content: 'print(1)\n' }];
  const timeline = [
    ev(1000, 'attempt.started', null),
    ev(10_000, 'file.written', 'main.py', { sha256: 'h1', revision: 2 }),
    ev(11_000, 'run.run', null, { payload: { verdict: 'ok' } }),
    ev(20_000, 'file.written', 'main.py', { sha256: 'h2', revision: 3 }),
    ev(30_000, 'file.written', 'main.py', { sha256: 'h3', revision: 4 }),
  ];

  it('puts the typing before each save it leads to, from the starter and from the previous revision', () => {
    const logs = [
      log('main.py', 's0', 'h1', typing(9, '# hi')),
      log('main.py', 'h1', 'h2', typing(13, '!!')),
      // Leads to h3 but claims to start from the starter: not what the file held, so not shown.
      log('main.py', 's0', 'h3', typing(9, 'x')),
    ];
    const line = withTyping(moments(timeline, []), logs, starter);
    expect(line.map((l) => l.moment.label)).toEqual([
      'Started (starter files)',
      'Typing in main.py: 1 of 4 changes',
      'Typing in main.py: 2 of 4 changes',
      'Typing in main.py: 3 of 4 changes',
      'Saved main.py (revision 2)',
      'Ran the program: ok',
      'Typing in main.py: 1 of 2 changes',
      'Saved main.py (revision 3)',
      'Saved main.py (revision 4)',
    ]);
    // Times counted back from the save on the log's own clock, in order.
    expect(line.slice(1, 5).map((l) => l.moment.at)).toEqual([9700, 9800, 9900, 10_000]);
    // At a typing moment the file shows its previous content with part of the typing applied.
    const snap = snapshotAt(
      starter,
      line.map((l) => l.event),
      2,
    );
    const t = line[2]!.typing!;
    expect(snap.get('main.py')).toEqual({ sha256: null, starter: 'print(1)\n' });
    expect(typedText('print(1)\n', t.edits, t.upTo)).toBe('print(1)\n# ');
    expect(
      snapshotAt(
        starter,
        line.map((l) => l.event),
        6,
      ).get('main.py'),
    ).toEqual({ sha256: 'h1' });
    expect(typedText('print(1)\n# hi', line[6]!.typing!.edits, 1)).toBe('print(1)\n# hi!');
  });

  it('never dates typing before the previous moment, and shows a long burst in at most a few dozen moments', () => {
    const burst = typing(9, 'x'.repeat(1000)); // 100 s of typing, saved 9 s after the run
    const line = withTyping(moments(timeline, []), [log('main.py', 'h1', 'h2', burst)], starter);
    const steps = line.filter((l) => l.typing);
    expect(steps.length).toBeLessThanOrEqual(MAX_TYPING_STEPS);
    expect(steps.length).toBeGreaterThan(MAX_TYPING_STEPS / 2);
    expect(Math.min(...steps.map((s) => s.moment.at))).toBe(11_000);
    const ats = line.map((l) => l.moment.at);
    expect(ats).toEqual([...ats].sort((a, b) => a - b));
  });

  it('applies deletions and replacements, and continues from an earlier result', () => {
    const edits: Edit[] = [
      [0, 5, 0, ' wörld'],
      [10, 0, 1, 'H'],
      [20, 6, 6, 'there'],
    ];
    expect(typedText('hello', edits, 3)).toBe('Hello there');
    const mid = typedText('hello', edits, 1);
    expect(typedText('hello', edits, 3, { upTo: 1, text: mid })).toBe('Hello there');
    expect(typedText('hello', edits, 0)).toBe('hello');
  });

  it('shows the edit-log limit on the timeline', () => {
    const full = ev(5000, 'workspace.edits_full', null, { payload: { maxBytes: 8 } });
    expect(moments([full], [])[0]!.moment.label).toContain('no longer recorded');
  });
});
