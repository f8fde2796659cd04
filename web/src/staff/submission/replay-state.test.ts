/** The replay a reviewer scrubs: what happened when, and which files existed at each moment. */
import { describe, expect, it } from 'vitest';
import { browserName, deviceSummary, moments, showKeys, snapshotAt, terminalAt } from './replay-state.ts';
import type { LlmCall, TimelineEvent } from '../types.ts';

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
