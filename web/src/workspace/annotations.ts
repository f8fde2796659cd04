/** Critique annotations and answers, stored as workspace files so revisions, events and replay cover them. */
export const ANNOTATIONS = 'critique/annotations.json';
export const ANSWERS = 'critique/answers.json';

export interface Annotation {
  id: string;
  /** Which output (its path under outputs/). */
  output: string;
  /** Character offsets into the output's text, end exclusive. */
  start: number;
  end: number;
  /** The selected text, for reviewers reading the file on its own. */
  quote: string;
  category: string;
  comment: string;
}

export function parseAnnotations(text: string): Annotation[] {
  try {
    const v = JSON.parse(text) as { annotations?: Annotation[] };
    return Array.isArray(v.annotations) ? v.annotations : [];
  } catch {
    return [];
  }
}

export const serializeAnnotations = (list: Annotation[]) =>
  JSON.stringify(
    { annotations: [...list].sort((a, b) => a.output.localeCompare(b.output) || a.start - b.start) },
    null,
    2,
  ) + '\n';

export function parseAnswers(text: string): Record<string, string> {
  try {
    const v = JSON.parse(text) as { answers?: Record<string, string> };
    return v.answers && typeof v.answers === 'object' ? v.answers : {};
  } catch {
    return {};
  }
}

export const serializeAnswers = (a: Record<string, string>) => JSON.stringify({ answers: a }, null, 2) + '\n';

/** Splits text at annotation boundaries (and `extra` offsets); each piece lists the annotations covering it. */
export function pieces(
  text: string,
  list: Annotation[],
  extra: number[] = [],
): { text: string; ids: string[]; start: number }[] {
  const cuts = new Set([0, text.length, ...extra.map((x) => Math.max(0, Math.min(text.length, x)))]);
  for (const a of list) {
    cuts.add(Math.max(0, Math.min(text.length, a.start)));
    cuts.add(Math.max(0, Math.min(text.length, a.end)));
  }
  const sorted = [...cuts].sort((x, y) => x - y);
  const out = [];
  for (let i = 0; i < sorted.length - 1; i++) {
    const s = sorted[i]!;
    const e = sorted[i + 1]!;
    out.push({
      text: text.slice(s, e),
      start: s,
      ids: list.filter((a) => a.start <= s && a.end >= e).map((a) => a.id),
    });
  }
  return out;
}

/** Offsets of the current selection inside `root` (null when the selection is empty or outside). */
export function selectionOffsets(root: HTMLElement): { start: number; end: number } | null {
  const sel = getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
  const range = sel.getRangeAt(0);
  if (!root.contains(range.startContainer) || !root.contains(range.endContainer)) return null;
  const before = document.createRange();
  before.setStart(root, 0);
  before.setEnd(range.startContainer, range.startOffset);
  const start = before.toString().length;
  return { start, end: start + range.toString().length };
}
