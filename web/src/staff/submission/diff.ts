/**
 * A line diff (longest common subsequence) for showing a submission against its starter. Monaco's
 * diff editor is stubbed out of the build to keep the candidate's Monaco chunk small, and these
 * files are small, so an O(n·m) table is enough; past MAX_CELLS we fall back to "all removed, all
 * added" rather than freeze the tab.
 */
export type DiffLine =
  | { kind: 'same'; text: string; a: number; b: number }
  | { kind: 'del'; text: string; a: number }
  | { kind: 'add'; text: string; b: number };

const MAX_CELLS = 4_000_000;

const split = (s: string) => (s === '' ? [] : s.replace(/\n$/, '').split('\n'));

/** Lines of `before` and `after` aligned: unchanged, removed (from before) and added (in after). */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = split(before);
  const b = split(after);
  // Trim the common prefix and suffix first: most edits touch a small part of a file.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf])
    suf++;
  const out: DiffLine[] = [];
  for (let i = 0; i < pre; i++) out.push({ kind: 'same', text: a[i]!, a: i + 1, b: i + 1 });
  const A = a.slice(pre, a.length - suf);
  const B = b.slice(pre, b.length - suf);
  const n = A.length;
  const m = B.length;
  if (n * m > MAX_CELLS) {
    A.forEach((t, i) => out.push({ kind: 'del', text: t, a: pre + i + 1 }));
    B.forEach((t, j) => out.push({ kind: 'add', text: t, b: pre + j + 1 }));
  } else {
    // lcs[i][j] = LCS length of A[i..] and B[j..], flattened.
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        lcs[i * w + j] =
          A[i] === B[j]
            ? lcs[(i + 1) * w + j + 1]! + 1
            : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && A[i] === B[j]) {
        out.push({ kind: 'same', text: A[i]!, a: pre + i + 1, b: pre + j + 1 });
        i++;
        j++;
      } else if (i < n && (j >= m || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) {
        out.push({ kind: 'del', text: A[i]!, a: pre + i + 1 });
        i++;
      } else {
        out.push({ kind: 'add', text: B[j]!, b: pre + j + 1 });
        j++;
      }
    }
  }
  for (let k = 0; k < suf; k++) {
    const ai = a.length - suf + k;
    const bi = b.length - suf + k;
    out.push({ kind: 'same', text: a[ai]!, a: ai + 1, b: bi + 1 });
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
