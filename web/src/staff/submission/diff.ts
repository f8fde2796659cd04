/**
 * A line diff for showing a submission against its starter. Monaco's diff editor is stubbed out of
 * the build to keep the candidate's Monaco chunk small, so the lines are aligned by the `diff`
 * package (Myers' O(N·D) algorithm: cost grows with the number of changes, not the file size, so a
 * few edits in a long file stay a few changed lines). Only a diff that is still running after
 * DIFF_TIMEOUT_MS (two unrelated files) falls back to "all removed, all added".
 */
import { diffArrays } from 'diff';

export type DiffLine =
  | { kind: 'same'; text: string; a: number; b: number }
  | { kind: 'del'; text: string; a: number }
  | { kind: 'add'; text: string; b: number };

const DIFF_TIMEOUT_MS = 1500;

const split = (s: string) => (s === '' ? [] : s.replace(/\n$/, '').split('\n'));

/** Lines of `before` and `after` aligned: unchanged, removed (from before) and added (in after). */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = split(before);
  const b = split(after);
  const changes = diffArrays(a, b, { timeout: DIFF_TIMEOUT_MS }) ?? [
    { value: a, removed: true, added: false, count: a.length },
    { value: b, removed: false, added: true, count: b.length },
  ];
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  for (const c of changes) {
    for (const text of c.value) {
      if (c.removed) out.push({ kind: 'del', text, a: ++i });
      else if (c.added) out.push({ kind: 'add', text, b: ++j });
      else out.push({ kind: 'same', text, a: ++i, b: ++j });
    }
  }
  return out;
}

export type Hunk = { lines: DiffLine[] } | { skipped: number };

/** Groups a diff into changed regions with `context` unchanged lines around each; the rest is folded. */
export function hunks(lines: DiffLine[], context = 3): Hunk[] {
  const keep = lines.map(() => false);
  lines.forEach((l, i) => {
    if (l.kind === 'same') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = true;
  });
  const out: Hunk[] = [];
  let run: DiffLine[] = [];
  let skipped = 0;
  lines.forEach((l, i) => {
    if (keep[i]) {
      if (skipped) out.push({ skipped });
      skipped = 0;
      run.push(l);
    } else {
      if (run.length) out.push({ lines: run });
      run = [];
      skipped++;
    }
  });
  if (run.length) out.push({ lines: run });
  if (skipped) out.push({ skipped });
  return out;
}
