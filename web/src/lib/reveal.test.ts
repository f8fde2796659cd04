import { describe, expect, it } from 'vitest';
import { escapeCodePoint, revealPieces, revealText } from './reveal.tsx';

describe('revealing invisible characters in staff views', () => {
  it('shows a right-to-left override as a visible escape, so the name reads as it is stored', () => {
    expect(revealText('helper\u202Esj.exe')).toBe('helper\\u202Esj.exe');
    expect(revealPieces('helper\u202Esj.exe')).toEqual([
      { text: 'helper' },
      { odd: '\u202E', escape: '\\u202E' },
      { text: 'sj.exe' },
    ]);
  });

  it.each([
    ['\u202A', '\\u202A'],
    ['\u202D', '\\u202D'],
    ['\u2066', '\\u2066'],
    ['\u2069', '\\u2069'],
    ['\u200B', '\\u200B'],
    ['\u200F', '\\u200F'],
    ['\u061C', '\\u061C'],
    ['\uFEFF', '\\uFEFF'],
    ['\u2028', '\\u2028'],
    ['\u2029', '\\u2029'],
    ['\u00AD', '\\u00AD'],
    ['\u0000', '\\u0000'],
    ['\u001B', '\\u001B'],
    ['\u3164', '\\u3164'],
    ['\u{E0041}', '\\u{E0041}'],
  ])('escapes %j as %s', (ch, escape) => {
    expect(revealText(`a${ch}b`)).toBe(`a${escape}b`);
    expect(escapeCodePoint(ch)).toBe(escape);
  });

  it('leaves ordinary text, tabs, newlines, accents and emoji alone', () => {
    for (const s of ['main.py', 'données/café.py', 'a\tb\nc', 'print("日本語")', 'ok 👍', '']) {
      expect(revealText(s)).toBe(s);
      expect(revealPieces(s)).toEqual([{ text: s }]);
    }
  });

  it('escapes every odd character in a line, including adjacent ones', () => {
    expect(revealText('\u2067\u2066x\u2069\u2069')).toBe('\\u2067\\u2066x\\u2069\\u2069');
  });
});
