/**
 * Keyboard selection in a read-only text: where a key moves the caret (character offsets into the
 * text), and what a screen reader should hear after the move. Framework-free so it stays testable.
 */

export interface KeySpec {
  key: string;
  /** Ctrl (or ⌘/Alt on macOS): move by word, or to the start/end of the text. */
  word: boolean;
}

const isWord = (ch: string | undefined) => !!ch && /[\p{L}\p{N}_'’-]/u.test(ch);
const lineStart = (text: string, i: number) => text.lastIndexOf('\n', i - 1) + 1;
const lineEnd = (text: string, i: number) => {
  const n = text.indexOf('\n', i);
  return n < 0 ? text.length : n;
};

function lines(text: string, at: number, delta: number): number {
  const col = at - lineStart(text, at);
  let start = lineStart(text, at);
  for (let k = 0; k < Math.abs(delta); k++) {
    if (delta < 0) {
      if (start === 0) return 0;
      start = lineStart(text, start - 1);
    } else {
      const end = lineEnd(text, start);
      if (end >= text.length) return text.length;
      start = end + 1;
    }
  }
  return Math.min(start + col, lineEnd(text, start));
}

function wordRight(text: string, at: number): number {
  let i = at;
  while (i < text.length && isWord(text[i])) i++;
  while (i < text.length && !isWord(text[i])) i++;
  return i;
}

function wordLeft(text: string, at: number): number {
  let i = at;
  while (i > 0 && !isWord(text[i - 1])) i--;
  while (i > 0 && isWord(text[i - 1])) i--;
  return i;
}

/** Keys that move the caret; anything else is left to the browser. */
export const CARET_KEYS = new Set([
  'ArrowLeft',
  'ArrowRight',
  'ArrowUp',
  'ArrowDown',
  'Home',
  'End',
  'PageUp',
  'PageDown',
]);

/** The caret offset after `k`, clamped to the text. */
export function moveCaret(text: string, at: number, k: KeySpec): number {
  switch (k.key) {
    case 'ArrowLeft':
      return k.word ? wordLeft(text, at) : Math.max(0, at - 1);
    case 'ArrowRight':
      return k.word ? wordRight(text, at) : Math.min(text.length, at + 1);
    case 'ArrowUp':
      return lines(text, at, -1);
    case 'ArrowDown':
      return lines(text, at, 1);
    case 'PageUp':
      return lines(text, at, -10);
    case 'PageDown':
      return lines(text, at, 10);
    case 'Home':
      return k.word ? 0 : lineStart(text, at);
    case 'End':
      return k.word ? text.length : lineEnd(text, at);
    default:
      return at;
  }
}

const clip = (s: string, n = 140) => (s.length > n ? s.slice(0, n) + '…' : s);

/** 1-based line and column of an offset, for the visible status. */
export function lineCol(text: string, at: number): { line: number; col: number } {
  const start = lineStart(text, at);
  return { line: text.slice(0, start).split('\n').length, col: at - start + 1 };
}

/**
 * What to announce after a move: the selected text while selecting; otherwise the character, word
 * or line the caret moved over — what a screen reader says when moving through an editable text.
 */
export function describeMove(text: string, at: number, k: KeySpec, selection: [number, number] | null) {
  if (selection) {
    const quote = text.slice(selection[0], selection[1]);
    return `Selected ${quote.length} characters: ${clip(quote)}`;
  }
  if (k.key === 'ArrowLeft' || k.key === 'ArrowRight') {
    if (k.word) return clip(text.slice(at, wordRight(text, at)).trim() || 'end of text');
    const ch = text[at];
    return ch === undefined ? 'end of text' : ch === '\n' ? 'new line' : ch === ' ' ? 'space' : ch;
  }
  const line = text.slice(lineStart(text, at), lineEnd(text, at));
  return clip(line.trim() || 'blank line');
}
