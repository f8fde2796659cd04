import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../types.ts';
import { integrityFacts, integrityLines } from './integrity.ts';

let id = 0;
const ev = (type: string, payload: Record<string, unknown>): TimelineEvent => ({
  id: ++id,
  at: id,
  type,
  path: null,
  sha256: null,
  revision: null,
  payload,
});
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

describe('integrity summary for reviewers', () => {
  it('says what happened in neutral words', () => {
    const events = [
      ev('integrity.paste', { kind: 'paste', chars: 250 }),
      ev('integrity.paste', { kind: 'paste', chars: 1800 }),
      ev('integrity.paste', { kind: 'paste', chars: 400 }),
      ev('integrity.away', { kind: 'away', reason: 'hidden', ms: 150_000 }),
      ev('integrity.away', { kind: 'away', reason: 'blur', ms: 90_000 }),
      ev('attempt.device', { browser: 1, refused: false, userAgent: CHROME }),
      ev('attempt.device', { browser: 2, refused: false, userAgent: CHROME }),
    ];
    expect(integrityLines(integrityFacts(events))).toEqual([
      '3 pastes over 200 characters (largest 1,800)',
      'away 4 min in 2 periods',
      'opened from a second browser',
    ]);
  });

  it('says nothing when there is nothing, and ignores values that are not counts', () => {
    expect(
      integrityLines(
        integrityFacts([ev('attempt.device', { browser: 1, refused: false, userAgent: CHROME })]),
      ),
    ).toEqual([]);
    const odd = integrityFacts([
      ev('integrity.away', { ms: '<b>9999</b>' }),
      ev('integrity.paste', { chars: -5 }),
    ]);
    expect(odd).toMatchObject({ awayMs: 0, awayPeriods: 1, pastes: 1, largestPaste: 0 });
  });
});
