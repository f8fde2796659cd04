/**
 * The answer key of a critique task (e.g. `key/flaws.yaml`) and its comparison with a candidate's
 * annotations. Pure: parsing, locating spans in the output texts and matching by character ranges.
 *
 * Format: `flaws` (planted flaws, each with an `id`, a `category`, optional `acceptAlso` categories,
 * a verbatim `span` and optional `alsoAt` spans), `notFlaws` (correct statements that look wrong,
 * each with a `span`) and `defensible` (reasonable unplanted flags: a note, optionally with a
 * `span`). Every span must occur exactly once in the task's critique outputs (or in `output`
 * when given); `tasks verify` checks that.
 */
import YAML from 'yaml';
import { z } from 'zod';
import { formatZodIssues } from '../tasks/index.ts';

const str = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'required' : 'expected a string') });
const text = str().trim().min(1, { error: 'must not be empty' });
const span = str().min(1, { error: 'must not be empty' });
/** Which critique output a span is in (its path under outputs/); omitted: searched in all of them. */
const output = z.string().min(1).optional();

const flawSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { error: 'expected a kebab-case id' }),
  category: text,
  acceptAlso: z.array(text).optional(),
  severity: z.enum(['low', 'medium', 'high', 'critical']).optional(),
  output,
  span,
  alsoAt: z.array(span).optional(),
  why: text.optional(),
  fix: text.optional(),
});

const pointSchema = z.strictObject({ output, span, note: text.optional() });

export const answerKeySchema = z
  .strictObject({
    flaws: z.array(flawSchema).min(1, { error: 'expected at least one planted flaw' }),
    notFlaws: z.array(pointSchema).default([]),
    /** A bare string is a note for reviewers only: without a span it cannot be matched. */
    defensible: z.array(z.union([text, z.strictObject({ output, span, note: text })])).default([]),
    mostHarmful: text.optional(),
  })
  .superRefine((key, ctx) => {
    const seen = new Set<string>();
    key.flaws.forEach((f, i) => {
      if (seen.has(f.id))
        ctx.addIssue({ code: 'custom', path: ['flaws', i, 'id'], message: `duplicate id "${f.id}"` });
      seen.add(f.id);
    });
  });

export type AnswerKey = z.output<typeof answerKeySchema>;

/** Parses and validates a key file; errors are `file: field: message` lines like the manifest's. */
export function parseAnswerKey(
  file: string,
  source: string,
): { ok: true; key: AnswerKey } | { ok: false; errors: string[] } {
  let data: unknown;
  try {
    data = YAML.parse(source, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, errors: [`${file}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`] };
  }
  const result = answerKeySchema.safeParse(data);
  return result.success
    ? { ok: true, key: result.data }
    : { ok: false, errors: formatZodIssues(file, result.error) };
}

export interface OutputText {
  /** Path under outputs/, as in `critique.outputs` and in the candidate's annotations. */
  path: string;
  content: string;
}

export interface Range {
  output: string;
  /** UTF-16 offsets into the output's text, end exclusive (the editor's annotation offsets). */
  start: number;
  end: number;
}

export interface LocatedFlaw {
  id: string;
  category: string;
  acceptAlso: string[];
  severity?: string;
  why?: string;
  ranges: Array<Range & { text: string }>;
}

export interface LocatedPoint {
  note?: string;
  range: Range & { text: string };
}

export interface LocatedKey {
  flaws: LocatedFlaw[];
  notFlaws: LocatedPoint[];
  defensible: LocatedPoint[];
  /** Spans that do not occur exactly once (they are left out of the matching). */
  problems: string[];
}

/** Every start offset of `needle` in `hay`, overlapping occurrences included. */
function occurrences(hay: string, needle: string): number[] {
  const at: number[] = [];
  for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + 1)) at.push(i);
  return at;
}

/** Finds each span of the key in the outputs; a span must occur exactly once to count. */
export function locateKey(file: string, key: AnswerKey, outputs: OutputText[]): LocatedKey {
  const problems: string[] = [];
  const find = (where: string, spanText: string, only?: string): (Range & { text: string }) | undefined => {
    const scope = only === undefined ? outputs : outputs.filter((o) => o.path === only);
    if (only !== undefined && scope.length === 0) {
      problems.push(`${file}: ${where}: output "${only}" is not one of critique.outputs`);
      return undefined;
    }
    const hits = scope.flatMap((o) =>
      occurrences(o.content, spanText).map((start) => ({ output: o.path, start })),
    );
    if (hits.length !== 1) {
      problems.push(
        `${file}: ${where}: ${JSON.stringify(spanText)} occurs ${hits.length} times in ${only ?? 'the outputs'} (expected exactly once)`,
      );
      return undefined;
    }
    return { ...hits[0]!, end: hits[0]!.start + spanText.length, text: spanText };
  };
  const flaws = key.flaws.map((f, i) => ({
    id: f.id,
    category: f.category,
    acceptAlso: f.acceptAlso ?? [],
    ...(f.severity ? { severity: f.severity } : {}),
    ...(f.why ? { why: f.why } : {}),
    ranges: [
      find(`flaws[${i}].span`, f.span, f.output),
      ...(f.alsoAt ?? []).map((s, j) => find(`flaws[${i}].alsoAt[${j}]`, s, f.output)),
    ].filter((r) => r !== undefined),
  }));
  const point = (where: string, p: { span: string; output?: string; note?: string }) => {
    const range = find(where, p.span, p.output);
    return range ? [{ range, ...(p.note ? { note: p.note } : {}) }] : [];
  };
  return {
    flaws,
    notFlaws: key.notFlaws.flatMap((p, i) => point(`notFlaws[${i}].span`, p)),
    defensible: key.defensible.flatMap((d, i) =>
      typeof d === 'string' ? [] : point(`defensible[${i}].span`, d),
    ),
    problems,
  };
}

/** What `tasks verify` reports: spans that are not unique, and categories the task does not declare. */
export function answerKeyProblems(file: string, key: AnswerKey, outputs: OutputText[], categories: string[]) {
  const problems = [...locateKey(file, key, outputs).problems];
  const known = new Set(categories);
  key.flaws.forEach((f, i) => {
    if (!known.has(f.category))
      problems.push(`${file}: flaws[${i}].category: "${f.category}" is not in critique.categories`);
    (f.acceptAlso ?? []).forEach((c, j) => {
      if (!known.has(c))
        problems.push(`${file}: flaws[${i}].acceptAlso[${j}]: "${c}" is not in critique.categories`);
    });
  });
  return problems;
}

/** One entry of the candidate's `critique/annotations.json`. */
export const candidateAnnotationSchema = z
  .object({
    id: z.string(),
    output: z.string(),
    start: z.number().int().min(0),
    end: z.number().int().min(0),
    quote: z.string().default(''),
    category: z.string().default(''),
    comment: z.string().default(''),
  })
  .refine((a) => a.end >= a.start);

export type CandidateAnnotation = z.output<typeof candidateAnnotationSchema>;

/** Reads the workspace file leniently, like the editor: malformed entries are skipped and counted. */
export function parseCandidateAnnotations(source: string): {
  annotations: CandidateAnnotation[];
  ignored: number;
} {
  let list: unknown;
  try {
    list = (JSON.parse(source) as { annotations?: unknown }).annotations;
  } catch {
    return { annotations: [], ignored: 0 };
  }
  if (!Array.isArray(list)) return { annotations: [], ignored: 0 };
  const parsed = list.map((a) => candidateAnnotationSchema.safeParse(a));
  return {
    annotations: parsed.flatMap((p) => (p.success ? [p.data] : [])),
    ignored: parsed.filter((p) => !p.success).length,
  };
}

/**
 * Half-open ranges on the same output overlap when they share a character. A zero-width annotation
 * (a caret) overlaps a span it lies strictly inside, never one it only touches.
 */
export function overlaps(a: Range, b: Range): boolean {
  return a.output === b.output && a.start < b.end && b.start < a.end;
}

export type ExtraKind = 'notFlaw' | 'defensible' | 'other';

export interface Comparison {
  flaws: Array<
    Omit<LocatedFlaw, 'ranges'> & {
      spans: string[];
      found: boolean;
      /** An overlapping annotation uses the flaw's category or one of `acceptAlso`. */
      categoryMatch: boolean;
      annotations: CandidateAnnotation[];
    }
  >;
  /** Annotations that overlap no planted flaw. */
  extras: Array<{ annotation: CandidateAnnotation; kind: ExtraKind; note?: string }>;
  summary: {
    planted: number;
    found: number;
    categoryMatched: number;
    annotations: number;
    onPlanted: number;
    notFlaw: number;
    defensible: number;
    other: number;
    /** found / planted; null without planted flaws. */
    recall: number | null;
    /** Annotations on a planted flaw / (annotations − defensible extras); null when that is 0. */
    precision: number | null;
  };
  problems: string[];
}

/** Matches the candidate's annotations against the located key (see `Comparison` for the numbers). */
export function compareWithKey(key: LocatedKey, annotations: CandidateAnnotation[]): Comparison {
  const flaws = key.flaws.map(({ ranges, ...f }) => {
    const hits = annotations.filter((a) => ranges.some((r) => overlaps(a, r)));
    const accepted = new Set([f.category, ...f.acceptAlso]);
    return {
      ...f,
      spans: ranges.map((r) => r.text),
      found: hits.length > 0,
      categoryMatch: hits.some((a) => accepted.has(a.category)),
      annotations: hits,
    };
  });
  const onPlanted = new Set(flaws.flatMap((f) => f.annotations));
  const extras = annotations
    .filter((a) => !onPlanted.has(a))
    .map((annotation) => {
      // A flag on a correct statement weighs more than one that is merely defensible.
      const wrong = key.notFlaws.find((p) => overlaps(annotation, p.range));
      if (wrong) return { annotation, kind: 'notFlaw' as const, ...(wrong.note ? { note: wrong.note } : {}) };
      const fair = key.defensible.find((p) => overlaps(annotation, p.range));
      if (fair) return { annotation, kind: 'defensible' as const, ...(fair.note ? { note: fair.note } : {}) };
      return { annotation, kind: 'other' as const };
    });
  const count = (kind: ExtraKind) => extras.filter((e) => e.kind === kind).length;
  const found = flaws.filter((f) => f.found).length;
  const judged = annotations.length - count('defensible');
  return {
    flaws,
    extras,
    summary: {
      planted: flaws.length,
      found,
      categoryMatched: flaws.filter((f) => f.categoryMatch).length,
      annotations: annotations.length,
      onPlanted: onPlanted.size,
      notFlaw: count('notFlaw'),
      defensible: count('defensible'),
      other: count('other'),
      recall: flaws.length ? found / flaws.length : null,
      precision: judged > 0 ? onPlanted.size / judged : null,
    },
    problems: key.problems,
  };
}
