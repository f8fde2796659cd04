/** The submission-vs-starter diff a reviewer reads: changes show as changes, however long the file. */
import { describe, expect, it } from 'vitest';
import { diffLines, hunks } from './diff.ts';

const file = (n: number, edit: (i: number) => string | null = () => null) =>
  Array.from({ length: n }, (_, i) => edit(i) ?? `line ${i + 1}: const value${i} = compute(${i});`).join(
    '\n',
  ) + '\n';

const changed = (d: ReturnType<typeof diffLines>) => d.filter((l) => l.kind !== 'same');

describe('line diff', () => {
  it('shows a one-line edit as one removed and one added line, with both line numbers', () => {
    const d = diffLines('a\nb\nc\n', 'a\nB\nc\n');
    expect(changed(d)).toEqual([
      { kind: 'del', text: 'b', a: 2 },
      { kind: 'add', text: 'B', b: 2 },
    ]);
    expect(d[3]).toEqual({ kind: 'same', text: 'c', a: 3, b: 3 });
  });

  it('keeps a few edits in a large file a few changes (no all-removed / all-added)', () => {
    const before = file(5000);
    const after = file(5000, (i) =>
      i === 10 ? 'edited near the top' : i === 4990 ? 'edited near the bottom' : null,
    );
    const d = diffLines(before, after);
    expect(changed(d)).toHaveLength(4);
    expect(changed(d).map((l) => l.text)).toEqual([
      'line 11: const value10 = compute(10);',
      'edited near the top',
      'line 4991: const value4990 = compute(4990);',
      'edited near the bottom',
    ]);
    expect(d.filter((l) => l.kind === 'same')).toHaveLength(4998);
  });

  it('numbers lines on each side after insertions and deletions', () => {
    const d = diffLines('one\ntwo\nthree\n', 'zero\none\nthree\nfour\n');
    expect(d).toEqual([
      { kind: 'add', text: 'zero', b: 1 },
      { kind: 'same', text: 'one', a: 1, b: 2 },
      { kind: 'del', text: 'two', a: 2 },
      { kind: 'same', text: 'three', a: 3, b: 3 },
      { kind: 'add', text: 'four', b: 4 },
    ]);
  });

  it('treats a new file as all added and a deleted one as all removed', () => {
    expect(diffLines('', 'x\ny\n').map((l) => l.kind)).toEqual(['add', 'add']);
    expect(diffLines('x\n', '').map((l) => l.kind)).toEqual(['del']);
    expect(diffLines('same\n', 'same\n').map((l) => l.kind)).toEqual(['same']);
  });

  it('folds unchanged stretches into "N unchanged lines" around each change', () => {
    const before = file(100);
    const after = file(100, (i) => (i === 50 ? 'changed' : null));
    const h = hunks(diffLines(before, after), 3);
    expect(h).toEqual([{ skipped: 47 }, { lines: expect.any(Array) }, { skipped: 46 }]);
    expect((h[1] as { lines: unknown[] }).lines).toHaveLength(8);
  });
});
