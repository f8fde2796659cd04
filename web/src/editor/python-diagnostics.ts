/**
 * Python syntax diagnostics for the editor: parses a file with @lezer/python and reports the first
 * syntax error the way CPython would (one error, its line and column, CPython's wording where it is
 * cheap to match). Lezer's grammar recovers from errors without flagging bad indentation or a
 * single-quoted string left open at the end of a line, so those two are checked on its tree here.
 * Loaded as its own chunk, only once a .py file is open.
 */
import { parser } from '@lezer/python';
import type { SyntaxNode } from '@lezer/common';

/** A syntax error: 1-based line and columns, as Monaco markers take them. */
export interface PySyntaxError {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
}

const CLOSER: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** The first syntax error in `text` (CPython stops at the first, and later ones are often echoes), or none. */
export function pythonSyntaxErrors(text: string): PySyntaxError[] {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (pos: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const lineEnd = (line: number) => {
    const next = lineStarts[line + 1];
    return next === undefined ? text.length : next - 1;
  };

  const found: { from: number; to: number; message: string }[] = [];
  const tree = parser.parse(text);

  tree.iterate({
    enter(ref) {
      if (ref.type.isError) {
        const { message, at } = errorMessage(ref.node);
        found.push(at ? { from: at.from, to: at.to, message } : { from: ref.from, to: ref.to, message });
        return false;
      }
      if (ref.name === 'String' || ref.name === 'FormatString') {
        const open = unterminated(text.slice(ref.from, ref.to));
        if (open)
          found.push({
            from: ref.from,
            to: ref.to,
            message:
              open === 'triple'
                ? `unterminated triple-quoted string literal (detected at line ${lineOf(ref.to) + 1})`
                : `unterminated string literal (detected at line ${lineOf(ref.from) + 1})`,
          });
        return false;
      }
      if (ref.name === 'Script' || ref.name === 'Body') checkIndentation(ref.node);
      return undefined;
    },
  });

  /** Columns of leading whitespace, tabs to the next multiple of 8 as CPython counts them. */
  function indentOf(pos: number): number | null {
    const start = lineStarts[lineOf(pos)]!;
    let col = 0;
    for (let i = start; i < pos; i++) {
      const c = text[i];
      if (c === ' ') col++;
      else if (c === '\t') col = (Math.floor(col / 8) + 1) * 8;
      else if (c === '\f') col = 0;
      else return null; // not the first thing on its line (after `;` or `if x: ...`)
    }
    return col;
  }

  function statementsOf(block: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = block.firstChild; c; c = c.nextSibling)
      if (c.name !== ':' && c.name !== 'Comment' && !c.type.isError && indentOf(c.from) !== null) out.push(c);
    return out;
  }

  function checkIndentation(block: SyntaxNode) {
    const stmts = statementsOf(block);
    if (!stmts.length) return;
    const expected = block.name === 'Script' ? 0 : indentOf(stmts[0]!.from)!;
    let prev: SyntaxNode | null = null;
    for (const s of stmts) {
      const col = indentOf(s.from)!;
      if (col !== expected) {
        // Deeper than the block, but shallower than the previous statement's own body: a dedent that
        // lands between two levels.
        const prevBody = prev?.lastChild?.name === 'Body' ? prev.lastChild : null;
        const prevBodyStmt = prevBody ? statementsOf(prevBody)[0] : undefined;
        const between = col < expected || (prevBodyStmt !== undefined && col < indentOf(prevBodyStmt.from)!);
        found.push({
          from: s.from,
          to: lineEnd(lineOf(s.from)),
          message: between ? 'unindent does not match any outer indentation level' : 'unexpected indent',
        });
        return;
      }
      prev = s;
    }
  }

  if (!found.length) return [];
  found.sort((a, b) => a.from - b.from);
  const first = found[0]!;
  const line = lineOf(first.from);
  const column = first.from - lineStarts[line]! + 1;
  const endLine = lineOf(Math.max(first.to, first.from));
  // Zero-width error nodes still need something to underline: the next character, or one past the end.
  const endColumn =
    first.to > first.from
      ? first.to - lineStarts[endLine]! + 1
      : Math.min(column + 1, lineEnd(line) - lineStarts[line]! + 2);
  return [
    {
      line: line + 1,
      column,
      endLine: endLine + 1,
      endColumn: Math.max(endColumn, column + 1),
      message: first.message,
    },
  ];
}

/** 'single' or 'triple' when a string literal's text has no closing quote; null when it is closed. */
function unterminated(lit: string): 'single' | 'triple' | null {
  const body = lit.replace(/^[rRbBuUfF]*/, '');
  const quote = body.startsWith('"""') || body.startsWith("'''") ? body.slice(0, 3) : body.slice(0, 1);
  if (quote !== '"' && quote !== "'" && quote.length !== 3) return null;
  const kind = quote.length === 3 ? 'triple' : 'single';
  if (body.length < quote.length * 2 || !body.endsWith(quote)) return kind;
  // A closing quote preceded by an odd run of backslashes is escaped (in raw strings too).
  let slashes = 0;
  for (let i = body.length - quote.length - 1; i >= quote.length && body[i] === '\\'; i--) slashes++;
  return slashes % 2 === 1 ? kind : null;
}

/**
 * CPython's wording for the construct an error node interrupts; `at` moves the error to the bracket
 * left open, where CPython reports it.
 */
function errorMessage(err: SyntaxNode): { message: string; at?: SyntaxNode } {
  for (let n: SyntaxNode | null = err.parent; n; n = n.parent) {
    const open = n.firstChild;
    if (open && open.name in CLOSER && open.to - open.from === 1) {
      const close = n.lastChild;
      if (!close || close.name !== CLOSER[open.name])
        return { message: `'${open.name}' was never closed`, at: open };
    }
    if (n.name === 'Body') {
      if (n.firstChild?.name !== ':') return { message: "expected ':'" };
      // Nothing but the error between the colon and it: the block has no statements.
      const before = err.prevSibling;
      if (before?.name === ':' || (before?.name === 'Comment' && before.prevSibling?.name === ':'))
        return { message: 'expected an indented block' };
    }
    if (n.name === 'Script' || n.name === 'Body') break;
  }
  return { message: 'invalid syntax' };
}
