/** Program output with ANSI colours shows as coloured text, never as escape garbage. */
import { describe, expect, it } from 'vitest';
import { ansiToSegments, initialAnsi } from './ansi.ts';

describe('ANSI output', () => {
  it('turns colour and bold codes into styled text and resets on 0', () => {
    const s = initialAnsi();
    expect(ansiToSegments('\x1b[31mFAIL\x1b[0m ok \x1b[1;32mPASS\x1b[22m done', s)).toEqual([
      { text: 'FAIL', cls: 'ansi-red' },
      { text: ' ok ', cls: '' },
      { text: 'PASS', cls: 'ansi-green ansi-bold' },
      { text: ' done', cls: 'ansi-green' },
    ]);
  });

  it('carries the colour across chunks of a stream', () => {
    const s = initialAnsi();
    expect(ansiToSegments('\x1b[93mwarn', s)).toEqual([{ text: 'warn', cls: 'ansi-bright-yellow' }]);
    expect(ansiToSegments('ing\x1b[39m.', s)).toEqual([
      { text: 'ing', cls: 'ansi-bright-yellow' },
      { text: '.', cls: '' },
    ]);
  });

  it('drops cursor movement, screen clearing and window titles', () => {
    const out = ansiToSegments('a\x1b[2Kb\x1b[?25lc\x1b]0;title\x07d', initialAnsi());
    expect(out.map((x) => x.text).join('')).toBe('abcd');
    expect(out.every((x) => !x.text.includes('\x1b'))).toBe(true);
  });
});
