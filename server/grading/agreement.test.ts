import { describe, expect, it } from 'vitest';
import {
  agreement,
  calibration,
  disagreements,
  krippendorffAlpha,
  weightedKappa,
  weightedScore,
} from './agreement.ts';

const _ = null;

/** Expands a k×k contingency table (rows = rater A, columns = rater B, categories 1..k) into pairs. */
function pairsFromTable(table: number[][]): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  table.forEach((row, i) =>
    row.forEach((count, j) => {
      for (let c = 0; c < count; c++) pairs.push([i + 1, j + 1]);
    }),
  );
  return pairs;
}

/**
 * Independent weighted kappa straight from the textbook definition, written separately from the
 * module: κw = 1 − Σ w·O / Σ w·E over proportions, for any disagreement weight w(i, j).
 */
function kappaFromTable(table: number[][], w: (i: number, j: number) => number): number {
  const k = table.length;
  const total = table.flat().reduce((s, x) => s + x, 0);
  const rowP = table.map((row) => row.reduce((s, x) => s + x, 0) / total);
  const colP = table[0]!.map((_c, j) => table.reduce((s, row) => s + row[j]!, 0) / total);
  let wO = 0;
  let wE = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      wO += w(i, j) * (table[i]![j]! / total);
      wE += w(i, j) * rowP[i]! * colP[j]!;
    }
  }
  return 1 - wO / wE;
}

/*
 * Altman (1991), Practical Statistics for Medical Research, pp. 403–405 (data: Boyd et al. 1982,
 * 85 xeromammograms; also the example of Stata's [R] kappa manual): categories normal, benign,
 * suspect, cancer. Published: unweighted κ = 0.4728, linear-weighted κ = 0.5684, quadratic-weighted
 * ("w2") κ = 0.6714 with 94.77% weighted observed vs 84.09% expected agreement.
 */
const XEROMAMMOGRAMS = [
  [21, 12, 0, 0],
  [4, 17, 1, 0],
  [3, 9, 15, 2],
  [0, 0, 0, 1],
];

describe('weightedKappa', () => {
  it('reproduces the published quadratic-weighted kappa of the xeromammogram table', () => {
    /*
     * By hand. Row totals r = (33, 22, 29, 1), column totals c = (28, 38, 16, 3), N = 85.
     * Σ (i−j)²·O_ij over the off-diagonal counts:
     *   (1,2) 1·12 + (2,1) 1·4 + (2,3) 1·1 + (3,1) 4·3 + (3,2) 1·9 + (3,4) 1·2 = 40
     * Σ (i−j)²·r_i·c_j:
     *   i=1: 33·(0·28 + 1·38 + 4·16 + 9·3) = 33·129 = 4257
     *   i=2: 22·(1·28 + 0·38 + 1·16 + 4·3) = 22·56  = 1232
     *   i=3: 29·(4·28 + 1·38 + 0·16 + 1·3) = 29·153 = 4437
     *   i=4:  1·(9·28 + 4·38 + 1·16 + 0·3) =  1·420 =  420   → 10346
     * κw = 1 − (40/85) / (10346/85²) = 1 − 40·85/10346 = 6946/10346 = 0.67137…
     */
    const kappa = weightedKappa(pairsFromTable(XEROMAMMOGRAMS));
    expect(kappa).toBeCloseTo(6946 / 10346, 12);
    expect(kappa!.toFixed(4)).toBe('0.6714');
  });

  it('agrees with the independent 1 − Σw·O/Σw·E computation, which itself matches the published κ and linear κ', () => {
    const quadratic = (i: number, j: number) => ((i - j) / 3) ** 2;
    expect(weightedKappa(pairsFromTable(XEROMAMMOGRAMS))).toBeCloseTo(
      kappaFromTable(XEROMAMMOGRAMS, quadratic),
      12,
    );
    // The helper is validated against the other two published figures for the same table.
    expect(kappaFromTable(XEROMAMMOGRAMS, (i, j) => (i === j ? 0 : 1)).toFixed(4)).toBe('0.4728');
    expect(kappaFromTable(XEROMAMMOGRAMS, (i, j) => Math.abs(i - j) / 3).toFixed(4)).toBe('0.5684');
  });

  it('matches the independent computation on a 3×3 table with k = 3', () => {
    const table = [
      [5, 2, 0],
      [1, 6, 2],
      [0, 1, 3],
    ];
    // Σ(i−j)²O = 2+1+2+1 = 6; r = (7, 9, 4), c = (6, 9, 5), N = 20;
    // Σ(i−j)²·r·c = 7·(9+20) + 9·(6+5) + 4·(24+9) = 203 + 99 + 132 = 434; κw = 1 − 6·20/434.
    expect(weightedKappa(pairsFromTable(table), 3)).toBeCloseTo(1 - 120 / 434, 12);
    expect(weightedKappa(pairsFromTable(table), 3)).toBeCloseTo(
      kappaFromTable(table, (i, j) => ((i - j) / 2) ** 2),
      12,
    );
  });

  it('is 1 for perfect agreement and −1 for a perfectly reversed scale', () => {
    expect(
      weightedKappa([
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
      ]),
    ).toBe(1);
    expect(
      weightedKappa([
        [1, 4],
        [4, 1],
      ]),
    ).toBe(-1);
  });

  it('is null when undefined: no pairs, or both raters used a single identical category', () => {
    expect(weightedKappa([])).toBeNull();
    expect(
      weightedKappa([
        [3, 3],
        [3, 3],
        [3, 3],
      ]),
    ).toBeNull();
  });

  it('is 0, not null, when one rater is constant and the other varies', () => {
    expect(
      weightedKappa([
        [2, 1],
        [2, 3],
        [2, 4],
      ]),
    ).toBe(0);
  });

  it('rejects ratings outside 1..k instead of returning NaN', () => {
    expect(() => weightedKappa([[0, 1]])).toThrow(RangeError);
    expect(() => weightedKappa([[5, 1]])).toThrow(RangeError);
    expect(() => weightedKappa([[Number.NaN, 1]])).toThrow(RangeError);
    expect(() => weightedKappa([[1, 2]], 1)).toThrow(RangeError);
  });
});

/*
 * Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 observers × 12 units,
 * values 1..5, with missing data. Published: nominal α = 0.743, ordinal α = 0.815, interval α = 0.849.
 * The same matrix ships as the "C" data of R's irr::kripp.alpha; the ordinal 0.815 is also asserted by
 * the Python `krippendorff` package's tests.
 */
const EXAMPLE_C = [
  // A  B  C  D
  [1, 1, _, 1],
  [2, 2, 3, 2],
  [3, 3, 3, 3],
  [3, 3, 3, 3],
  [2, 2, 2, 2],
  [1, 2, 3, 4],
  [4, 4, 4, 4],
  [1, 1, 2, 1],
  [2, 2, 2, 2],
  [_, 5, 5, 5],
  [_, _, 1, 1],
  [_, 3, _, _], // one value only: not pairable, contributes nothing
];

describe('krippendorffAlpha', () => {
  it('reproduces the published values of Krippendorff (2011) example C', () => {
    /*
     * Nominal by hand: the coincidence matrix has n = 40 pairable values, totals n_c = (9, 13, 10, 5, 3)
     * (Σ n_c² = 384) and diagonal Σ o_cc = 32, so α = 1 − (n−1)(n − Σo_cc)/(n² − Σn_c²)
     * = 1 − 39·8/(1600 − 384) = 1 − 312/1216 = 0.74342.
     */
    expect(krippendorffAlpha(EXAMPLE_C, 'nominal')).toBeCloseTo(1 - 312 / 1216, 12);
    expect(krippendorffAlpha(EXAMPLE_C, 'nominal')!.toFixed(3)).toBe('0.743');
    expect(krippendorffAlpha(EXAMPLE_C, 'ordinal')!.toFixed(3)).toBe('0.815');
    expect(krippendorffAlpha(EXAMPLE_C, 'interval')!.toFixed(3)).toBe('0.849');
  });

  it('defaults to the ordinal metric', () => {
    expect(krippendorffAlpha(EXAMPLE_C)).toBe(krippendorffAlpha(EXAMPLE_C, 'ordinal'));
  });

  it('reproduces the Wikipedia computational example (3 coders × 15 units, nominal α = 0.691)', () => {
    const units = [
      [_, 1, _],
      [_, _, _],
      [_, 2, 2],
      [_, 1, 1],
      [_, 3, 3],
      [3, 3, 4],
      [4, 4, 4],
      [1, 3, _],
      [2, _, 2],
      [1, _, 1],
      [1, _, 1],
      [3, _, 3],
      [3, _, 3],
      [_, _, _],
      [3, _, 4],
    ];
    expect(krippendorffAlpha(units, 'nominal')!.toFixed(3)).toBe('0.691');
  });

  it('is 1 for perfect agreement, with any number of raters and gaps', () => {
    expect(
      krippendorffAlpha([
        [1, 1, _],
        [2, _, 2],
        [4, 4, 4],
      ]),
    ).toBe(1);
    expect(
      krippendorffAlpha(
        [
          [1, 1, _],
          [2, _, 2],
          [4, 4, 4],
        ],
        'interval',
      ),
    ).toBe(1);
  });

  it('is null when there is no variance or nothing is pairable', () => {
    expect(
      krippendorffAlpha([
        [3, 3],
        [3, 3, 3],
      ]),
    ).toBeNull();
    expect(
      krippendorffAlpha([
        [1, _],
        [_, 4],
      ]),
    ).toBeNull();
    expect(krippendorffAlpha([])).toBeNull();
  });

  it('ignores units with fewer than two ratings', () => {
    const withSingles = [...EXAMPLE_C, [4, _, _, _], [_, _, _, _], [_, 1, _, _]];
    expect(krippendorffAlpha(withSingles)).toBe(krippendorffAlpha(EXAMPLE_C));
  });

  it('rejects non-finite ratings instead of returning NaN', () => {
    expect(() => krippendorffAlpha([[1, Number.NaN]])).toThrow(RangeError);
  });
});

describe('agreement', () => {
  it('uses weighted kappa when every pairable unit has exactly two ratings, and also reports alpha', () => {
    const units = [
      [1, 2],
      [2, 2],
      [3, 4],
      [4, 4],
      [2, 1],
      [3, _],
    ];
    const r = agreement(units);
    expect(r.method).toBe('weighted-kappa');
    expect(r.n).toBe(5);
    expect(r.value).toBeCloseTo(
      weightedKappa([
        [1, 2],
        [2, 2],
        [3, 4],
        [4, 4],
        [2, 1],
      ])!,
      12,
    );
    expect(r.alpha).toBeCloseTo(krippendorffAlpha(units)!, 12);
  });

  it('uses Krippendorff alpha as soon as one unit has three ratings', () => {
    const r = agreement(EXAMPLE_C);
    expect(r).toMatchObject({ method: 'krippendorff-alpha', n: 11 });
    expect(r.value!.toFixed(3)).toBe('0.815');
  });

  it('returns null values with n = 0 when no unit is pairable', () => {
    expect(
      agreement([
        [1, _],
        [_, _],
      ]),
    ).toEqual({ method: 'krippendorff-alpha', value: null, n: 0, alpha: null });
  });

  it('returns null, not NaN, when all reviewers gave the same level everywhere', () => {
    expect(
      agreement([
        [3, 3],
        [3, 3],
      ]),
    ).toMatchObject({ method: 'weighted-kappa', value: null, alpha: null });
  });
});

describe('calibration', () => {
  it('measures each reviewer against the mean of the other reviewers on the same unit+criterion', () => {
    const r = calibration([
      { unit: 's1', criterion: 'tests', reviewer: 'ann', level: 4 },
      { unit: 's1', criterion: 'tests', reviewer: 'bob', level: 2 },
      { unit: 's1', criterion: 'tests', reviewer: 'cy', level: 3 },
      { unit: 's1', criterion: 'design', reviewer: 'ann', level: 3 },
      { unit: 's1', criterion: 'design', reviewer: 'bob', level: 3 },
      { unit: 's2', criterion: 'tests', reviewer: 'ann', level: 2 }, // alone: no consensus, skipped
    ]);
    // tests: ann 4 − (2+3)/2 = +1.5, bob 2 − 3.5 = −1.5, cy 3 − 3 = 0; design: ann 0, bob 0.
    expect(r).toEqual([
      { reviewer: 'ann', bias: 0.75, meanAbsDiff: 0.75, n: 2 },
      { reviewer: 'bob', bias: -0.75, meanAbsDiff: 0.75, n: 2 },
      { reviewer: 'cy', bias: 0, meanAbsDiff: 0, n: 1 },
    ]);
  });

  it('keeps units and criteria apart even when their names could be concatenated alike', () => {
    const r = calibration([
      { unit: 'a|b', criterion: 'c', reviewer: 'x', level: 1 },
      { unit: 'a', criterion: 'b|c', reviewer: 'y', level: 4 },
    ]);
    expect(r).toEqual([]);
  });

  it('rejects a reviewer rating the same unit+criterion twice', () => {
    expect(() =>
      calibration([
        { unit: 's1', criterion: 'tests', reviewer: 'ann', level: 4 },
        { unit: 's1', criterion: 'tests', reviewer: 'ann', level: 1 },
      ]),
    ).toThrow(RangeError);
  });
});

describe('weightedScore', () => {
  const criteria = [
    { id: 'correctness', weight: 3 },
    { id: 'tests', weight: 2 },
    { id: 'communication', weight: 1 },
  ];

  it('maps levels 1..4 to 0..100 with the documented weighted formula', () => {
    // (3·(4−1)/3 + 2·(2−1)/3 + 1·(3−1)/3) / 6 · 100 = (3 + 2/3 + 2/3)/6 · 100 = 72.22…
    expect(weightedScore(criteria, { correctness: 4, tests: 2, communication: 3 })).toBeCloseTo(650 / 9, 10);
    expect(weightedScore(criteria, { correctness: 4, tests: 4, communication: 4 })).toBe(100);
    expect(weightedScore(criteria, { correctness: 1, tests: 1, communication: 1 })).toBe(0);
  });

  it('scores only the rated criteria and ignores levels for unknown ids', () => {
    expect(weightedScore(criteria, { tests: 4, communication: 1, extra: 1 })).toBeCloseTo(
      ((2 * 1 + 0) / 3) * 100,
      10,
    );
    expect(weightedScore(criteria, { constructor: 4 } as Record<string, number>)).toBeNull();
  });

  it('is null when nothing is rated or the rated weights sum to zero', () => {
    expect(weightedScore(criteria, {})).toBeNull();
    expect(weightedScore([{ id: 'a', weight: 0 }], { a: 3 })).toBeNull();
  });

  it('rejects levels outside 1..4 and negative weights', () => {
    expect(() => weightedScore(criteria, { tests: 5 })).toThrow(RangeError);
    expect(() => weightedScore(criteria, { tests: Number.NaN })).toThrow(RangeError);
    expect(() => weightedScore([{ id: 'a', weight: -1 }], { a: 2 })).toThrow(RangeError);
  });
});

describe('disagreements', () => {
  it('reports the max − min spread per criterion and flags spreads of at least 2 by default', () => {
    const r = disagreements({
      ann: { correctness: 1, tests: 3, design: 2 },
      bob: { correctness: 3, tests: 4 },
      cy: { correctness: 2, tests: 3, notes: 4 },
    });
    expect(r).toEqual([
      { criterion: 'correctness', spread: 2, flagged: true },
      { criterion: 'tests', spread: 1, flagged: false },
      // design and notes were rated by a single reviewer: no pair, omitted
    ]);
  });

  it('honours a custom threshold', () => {
    expect(disagreements({ a: { x: 1 }, b: { x: 2 } }, 1)).toEqual([
      { criterion: 'x', spread: 1, flagged: true },
    ]);
    expect(disagreements({ a: { x: 1 }, b: { x: 3 } }, 3)).toEqual([
      { criterion: 'x', spread: 2, flagged: false },
    ]);
  });
});
