/** The replay a reviewer scrubs: what happened when, and which files existed at each moment. */
import { describe, expect, it } from 'vitest';
import { moments, snapshotAt } from './replay-state.ts';
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
