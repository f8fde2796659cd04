import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pythonSyntaxErrors } from './python-diagnostics.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

function pyFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return pyFilesUnder(p);
    return name.endsWith('.py') ? [p] : [];
  });
}

/** Every .py file a candidate is shown or a reviewer compares against. */
const shipped = readdirSync(path.join(repoRoot, 'tasks')).flatMap((task) =>
  ['starter', 'solution'].flatMap((part) => {
    const dir = path.join(repoRoot, 'tasks', task, part);
    try {
      return statSync(dir).isDirectory() ? pyFilesUnder(dir) : [];
    } catch {
      return [];
    }
  }),
);

describe('Python syntax diagnostics: valid code has no markers', () => {
  it('finds the shipped Python files', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(6);
  });

  it.each(shipped.map((f) => [path.relative(repoRoot, f), f]))('%s has no syntax errors', (_rel, file) => {
    expect(pythonSyntaxErrors(readFileSync(file, 'utf8'))).toEqual([]);
  });

  it.each([
    ['a function', 'def f(x):\n    return x\n'],
    ['f-strings with format specs', 'x = f"{a!r:>10} {b}"\n'],
    ['match statements', 'match x:\n    case [1, *rest]:\n        pass\n    case _:\n        pass\n'],
    ['the walrus operator', 'if (n := 3) > 2:\n    pass\n'],
    ['decorated classes', '@dataclass\nclass A:\n    x: int = 0\n'],
    ['several statements on a line', 'a = 1; b = 2\nif a: pass\n'],
    ['brackets and backslashes continuing lines', 'x = (1 +\n       2)\ny = 1 + \\\n  2\n'],
    ['a comment at any indentation', 'def f():\n    x = 1\n  # odd comment\n    return x\n'],
    ['an escaped backslash before the closing quote', 'x = "a\\\\"\n'],
    ['triple-quoted strings over lines', 'x = """a\n  b\n"""\n'],
    ['an empty file', ''],
  ])('%s', (_name, src) => {
    expect(pythonSyntaxErrors(src)).toEqual([]);
  });
});

describe('Python syntax diagnostics: errors', () => {
  it.each([
    ['x = = 1\n', 1, 5, 'invalid syntax'],
    ['x = 1\n    y = 2\n', 2, 5, 'unexpected indent'],
    ['if x:\n    a = 1\n  b = 2\n', 3, 3, 'unindent does not match any outer indentation level'],
    ['def f():\nreturn 1\n', 2, 1, 'expected an indented block'],
    ['def f()\n    pass\n', 1, 8, "expected ':'"],
    ['print((1, 2)\n', 1, 6, "'(' was never closed"],
    ['x = [1, 2\ny = 3\n', 1, 5, "'[' was never closed"],
    ['x = "abc\ny = 1\n', 1, 5, 'unterminated string literal (detected at line 1)'],
    ['x = "abc\\"\n', 1, 5, 'unterminated string literal (detected at line 1)'],
    ['x = f"abc\n', 1, 5, 'unterminated string literal (detected at line 1)'],
    ['x = """abc\n', 1, 5, 'unterminated triple-quoted string literal (detected at line 2)'],
  ])('%j: line %i col %i, %s', (src, line, column, message) => {
    const errors = pythonSyntaxErrors(src);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line, column, message });
    // The marker underlines something: it ends after it starts.
    const e = errors[0]!;
    expect(e.endLine > e.line || e.endColumn > e.column).toBe(true);
  });

  it('reports only the first error, as CPython does', () => {
    const errors = pythonSyntaxErrors('x = = 1\ny = = 2\n    z = 3\n');
    expect(errors).toEqual([expect.objectContaining({ line: 1, message: 'invalid syntax' })]);
  });

  it('clears once the error is fixed', () => {
    expect(pythonSyntaxErrors('def f()\n    pass\n')).toHaveLength(1);
    expect(pythonSyntaxErrors('def f():\n    pass\n')).toEqual([]);
  });
});
