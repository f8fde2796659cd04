/** Keyboard selection in the critique text: where keys move the caret and what is announced. */
import { describe, expect, it } from 'vitest';
import { describeMove, lineCol, moveCaret } from './caret.ts';

const TEXT = 'First line here\nsecond\nthe third line';
const key = (k: string, word = false) => ({ key: k, word });

describe('caret movement', () => {
  it('moves by character and word, and stays inside the text', () => {
    expect(moveCaret(TEXT, 0, key('ArrowLeft'))).toBe(0);
    expect(moveCaret(TEXT, 0, key('ArrowRight'))).toBe(1);
    expect(moveCaret(TEXT, 0, key('ArrowRight', true))).toBe(6); // past "First "
    expect(moveCaret(TEXT, 10, key('ArrowLeft', true))).toBe(6); // back to "line"
    expect(moveCaret(TEXT, TEXT.length, key('ArrowRight'))).toBe(TEXT.length);
  });

  it('keeps the column when moving between lines, clamped to a shorter line', () => {
    const at = 12; // "First line h|ere"
    const down = moveCaret(TEXT, at, key('ArrowDown'));
    expect(down).toBe(TEXT.indexOf('second') + 'second'.length); // "second" is shorter
    expect(moveCaret(TEXT, down, key('ArrowUp'))).toBe(6);
    expect(moveCaret(TEXT, 3, key('ArrowUp'))).toBe(0);
    expect(moveCaret(TEXT, 3, key('PageDown'))).toBe(TEXT.length);
  });

  it('Home and End go to the line ends, with Ctrl to the text ends', () => {
    const inSecond = TEXT.indexOf('second') + 3;
    expect(moveCaret(TEXT, inSecond, key('Home'))).toBe(TEXT.indexOf('second'));
    expect(moveCaret(TEXT, inSecond, key('End'))).toBe(TEXT.indexOf('\nthe'));
    expect(moveCaret(TEXT, inSecond, key('Home', true))).toBe(0);
    expect(moveCaret(TEXT, inSecond, key('End', true))).toBe(TEXT.length);
  });

  it('announces the character, word, line or selection a screen reader user moved over', () => {
    expect(describeMove(TEXT, 5, key('ArrowRight'), null)).toBe('space');
    expect(describeMove(TEXT, 15, key('ArrowRight'), null)).toBe('new line');
    expect(describeMove(TEXT, 6, key('ArrowRight', true), null)).toBe('line');
    expect(describeMove(TEXT, TEXT.indexOf('second'), key('ArrowDown'), null)).toBe('second');
    expect(describeMove(TEXT, 0, key('ArrowRight'), [0, 5])).toBe('Selected 5 characters: First');
    expect(lineCol(TEXT, TEXT.indexOf('third'))).toEqual({ line: 3, col: 5 });
  });
});
