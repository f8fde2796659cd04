import { describe, expect, it } from 'vitest';
import {
  answerKeyProblems,
  compareWithKey,
  locateKey,
  overlaps,
  parseAnswerKey,
  parseCandidateAnnotations,
  type CandidateAnnotation,
} from './answer-key.ts';

const answer = [
  'The endpoint accepts up to 500 items per request.', // planted: the limit is 50
  'Retries use exponential backoff.', // correct, looks suspicious
  'A round trip takes about 200 ms.', // defensible
  'Call client.fetch_all() to page through results.', // planted: no such method
].join('\n');
const outputs = [
  { path: 'prompt.md', content: 'Answer the user about limits.' },
  { path: 'answer.md', content: answer },
];

const keyYaml = `
flaws:
  - id: batch-limit
    category: factual-error
    span: 'up to 500 items'
  - id: fetch-all
    category: hallucinated-api
    acceptAlso: [factual-error]
    span: 'client.fetch_all()'
    alsoAt: ['page through results']
notFlaws:
  - span: 'exponential backoff'
    note: Correct.
defensible:
  - span: 'about 200 ms'
    note: An estimate.
  - A plain note without a span.
`;

function key() {
  const parsed = parseAnswerKey('key/flaws.yaml', keyYaml);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return locateKey('key/flaws.yaml', parsed.key, outputs);
}

let n = 0;
/** An annotation over the first occurrence of `quote` in answer.md (or explicit offsets). */
function on(
  quote: string,
  category = 'factual-error',
  at?: { start: number; end: number },
): CandidateAnnotation {
  const start = at?.start ?? answer.indexOf(quote);
  if (start < 0) throw new Error(`not in answer: ${quote}`);
  return {
    id: `a${++n}`,
    output: 'answer.md',
    start,
    end: at?.end ?? start + quote.length,
    quote,
    category,
    comment: `about ${quote}`,
  };
}

describe('answer key: parsing and locating', () => {
  it('locates every span and alsoAt in the outputs', () => {
    const k = key();
    expect(k.problems).toEqual([]);
    expect(k.flaws.map((f) => f.ranges.length)).toEqual([1, 2]);
    const fetch = k.flaws[1]!.ranges[0]!;
    expect(answer.slice(fetch.start, fetch.end)).toBe('client.fetch_all()');
    expect(k.defensible).toHaveLength(1); // the plain note has nothing to match
  });

  it('reports invalid keys as file: field: message lines', () => {
    const bad = parseAnswerKey('key/flaws.yaml', 'flaws:\n  - id: Bad Id\n    category: x\n    spam: y\n');
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.errors).toContain('key/flaws.yaml: flaws[0].id: expected a kebab-case id');
    expect(bad.errors).toContain('key/flaws.yaml: flaws[0].spam: unknown key');
    expect(bad.errors).toContain('key/flaws.yaml: flaws[0].span: required');
    const dup = parseAnswerKey(
      'k.yaml',
      'flaws:\n  - {id: a, category: x, span: s}\n  - {id: a, category: x, span: t}\n',
    );
    expect(dup.ok ? [] : dup.errors).toEqual(['k.yaml: flaws[1].id: duplicate id "a"']);
  });

  it('reports spans that are missing or not unique, and undeclared categories', () => {
    const parsed = parseAnswerKey(
      'k.yaml',
      `flaws:\n  - {id: a, category: nope, acceptAlso: [other], span: 'ou', alsoAt: ['not there']}\nnotFlaws:\n  - {span: 'Answer', output: answer.md}\n`,
    );
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    expect(answerKeyProblems('k.yaml', parsed.key, outputs, ['factual-error', 'other'])).toEqual([
      'k.yaml: flaws[0].span: "ou" occurs 4 times in the outputs (expected exactly once)',
      'k.yaml: flaws[0].alsoAt[0]: "not there" occurs 0 times in the outputs (expected exactly once)',
      // "Answer" is in prompt.md once, but the entry restricts it to answer.md.
      'k.yaml: notFlaws[0].span: "Answer" occurs 0 times in answer.md (expected exactly once)',
      'k.yaml: flaws[0].category: "nope" is not in critique.categories',
    ]);
  });

  it('reads annotations leniently, skipping malformed entries', () => {
    const good = on('up to 500 items');
    const text = JSON.stringify({
      annotations: [good, { id: 'x', output: 'answer.md', start: 5, end: 2 }, 'junk'],
    });
    expect(parseCandidateAnnotations(text)).toEqual({ annotations: [good], ignored: 2 });
    expect(parseCandidateAnnotations('not json')).toEqual({ annotations: [], ignored: 0 });
  });
});

describe('answer key: overlap', () => {
  const span = { output: 'answer.md', start: 10, end: 20 };
  it.each([
    ['inside', 12, 15, true],
    ['covering', 0, 30, true],
    ['one shared character at the start', 5, 11, true],
    ['one shared character at the end', 19, 25, true],
    ['touching the start', 5, 10, false],
    ['touching the end', 20, 25, false],
    ['a caret inside', 15, 15, true],
    ['a caret at the start', 10, 10, false],
  ])('%s', (_name, start, end, expected) => {
    expect(overlaps({ output: 'answer.md', start, end }, span)).toBe(expected);
  });

  it('never across outputs', () => {
    expect(overlaps({ output: 'prompt.md', start: 0, end: 30 }, span)).toBe(false);
  });
});

describe('answer key: comparison', () => {
  it('finds a flaw by any of its spans and checks the category, including accepted alternatives', () => {
    const c = compareWithKey(key(), [
      on('500 items', 'hallucinated-api'), // right place, wrong label
      on('through results', 'factual-error'), // alsoAt span, accepted alternative
    ]);
    expect(c.flaws.map((f) => [f.id, f.found, f.categoryMatch])).toEqual([
      ['batch-limit', true, false],
      ['fetch-all', true, true],
    ]);
    expect(c.flaws[1]!.annotations[0]!.comment).toBe('about through results');
    expect(c.summary).toMatchObject({ planted: 2, found: 2, categoryMatched: 1, recall: 1, precision: 1 });
  });

  it('reports missed flaws and classifies extra flags as notFlaw, defensible or other', () => {
    const c = compareWithKey(key(), [
      on('up to 500 items'),
      on('exponential backoff', 'factual-error'),
      on('about 200 ms', 'other'),
      on('Retries use', 'other'), // overlaps nothing listed
      { ...on('Answer', 'other', { start: 0, end: 6 }), output: 'prompt.md' },
    ]);
    expect(c.flaws.map((f) => f.found)).toEqual([true, false]);
    expect(c.extras.map((e) => [e.annotation.quote, e.kind, e.note])).toEqual([
      ['exponential backoff', 'notFlaw', 'Correct.'],
      ['about 200 ms', 'defensible', 'An estimate.'],
      ['Retries use', 'other', undefined],
      ['Answer', 'other', undefined],
    ]);
    // 1 annotation on a planted flaw / (5 annotations - 1 defensible)
    expect(c.summary).toMatchObject({
      found: 1,
      recall: 0.5,
      onPlanted: 1,
      notFlaw: 1,
      defensible: 1,
      other: 2,
    });
    expect(c.summary.precision).toBe(1 / 4);
  });

  it('counts a flag on a correct statement as notFlaw even when it also touches a defensible point', () => {
    const both = { ...on('backoff.'), end: answer.indexOf('about 200 ms') + 3 };
    expect(compareWithKey(key(), [both]).extras[0]!.kind).toBe('notFlaw');
  });

  it('counts one annotation covering two flaws once for precision', () => {
    const wide = on('up to 500 items', 'factual-error', { start: 0, end: answer.length });
    const c = compareWithKey(key(), [wide]);
    expect(c.summary).toMatchObject({ found: 2, onPlanted: 1, precision: 1 });
  });

  it('has no recall or precision to report without flaws or judged annotations', () => {
    const c = compareWithKey(key(), [on('about 200 ms', 'other')]);
    expect(c.summary).toMatchObject({ recall: 0, precision: null });
    expect(compareWithKey(key(), []).summary.precision).toBeNull();
  });
});
