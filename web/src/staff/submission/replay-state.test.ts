import { describe, expect, it } from 'vitest';
import { browserName, deviceSummary, moments } from './replay-state.ts';
import type { TimelineEvent } from '../types.ts';

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
});
