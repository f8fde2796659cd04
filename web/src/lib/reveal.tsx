/**
 * Shows invisible and text-direction characters in staff views. Stops Trojan-Source spoofing of a
 * reviewer: a file name or line with U+202E (or a zero-width space, a BOM, …) would otherwise render
 * as different text than it holds ("helper\u202Esj.exe" looks like "helperexe.js"). Every such code
 * point is shown as a visible, marked `\u202E` escape instead of being applied.
 */
import { Fragment } from 'preact';

// Format characters (bidi controls, zero-width, BOM, tags, …), C0/C1 controls other than tab and
// newline, line/paragraph separators, and the invisible Hangul fillers.
// eslint-disable-next-line no-control-regex
const ODD = /[\p{Cf}\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u115F\u1160\u3164\uFFA0]/u;
const ODD_ALL = new RegExp(ODD.source, 'gu');

export type Piece = { text: string } | { odd: string; escape: string };

/** `\u202E`-style escape for one code point (`\u{E0041}` beyond the BMP). */
export function escapeCodePoint(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const hex = cp.toString(16).toUpperCase();
  return cp > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
}

/** Splits text into plain runs and odd code points (each with its escape). */
export function revealPieces(text: string): Piece[] {
  if (!ODD.test(text)) return [{ text }];
  const out: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(ODD_ALL)) {
    if (m.index! > last) out.push({ text: text.slice(last, m.index) });
    out.push({ odd: m[0], escape: escapeCodePoint(m[0]) });
    last = m.index! + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** The text with every odd code point replaced by its escape (for attributes and labels). */
export function revealText(text: string): string {
  return revealPieces(text)
    .map((p) => ('text' in p ? p.text : p.escape))
    .join('');
}

/** Renders text with odd code points as marked escapes (`<mark class="odd-char">\u202E</mark>`). */
export function Reveal({ text }: { text: string }) {
  const pieces = revealPieces(text);
  if (pieces.length === 1 && 'text' in pieces[0]!) return <>{text}</>;
  return (
    <>
      {pieces.map((p, i) =>
        'text' in p ? (
          <Fragment key={i}>{p.text}</Fragment>
        ) : (
          <mark key={i} class="odd-char" title={`invisible character ${p.escape.replace('\\u', 'U+')}`}>
            {p.escape}
          </mark>
        ),
      )}
    </>
  );
}
