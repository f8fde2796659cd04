/**
 * Inter-reviewer agreement and rubric scoring for blind review: how far reviewers agree on each
 * criterion (quadratic-weighted Cohen's kappa, Krippendorff's alpha), how each reviewer leans against
 * the others (calibration), where they disagree on one submission, and the weighted rubric score.
 * Pure functions: no I/O, no clock. Formulas and the choice of statistic are in AGREEMENT.md.
 *
 * Conventions: `null` (or an absent key) is a missing rating; a number that is not finite is a caller
 * bug and throws a RangeError instead of silently turning a statistic into NaN. A statistic that is
 * mathematically undefined (no pairable data, no variance) is returned as `null`, never NaN.
 */

export type AlphaMetric = 'nominal' | 'ordinal' | 'interval';

export interface Rating {
  unit: string;
  criterion: string;
  reviewer: string;
  level: number;
}

export interface ReviewerCalibration {
  reviewer: string;
  /** Mean of (own level − mean of the other reviewers' levels); positive = more lenient than peers. */
  bias: number;
  meanAbsDiff: number;
  /** Number of unit+criterion cells that had at least one other reviewer. */
  n: number;
}

export interface AgreementResult {
  method: 'weighted-kappa' | 'krippendorff-alpha';
  /** The statistic named by `method`; null when it is undefined (no pairable data or no variance). */
  value: number | null;
  /** Units with at least two ratings (the only ones that carry information about agreement). */
  n: number;
  /** Ordinal Krippendorff's alpha, always computed, so results stay comparable across criteria. */
  alpha: number | null;
}

function assertFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new RangeError(`${what} must be a finite number, got ${value}`);
}

/**
 * Quadratic-weighted Cohen's kappa for two raters on categories 1..k (default k=4):
 * κw = 1 − Σ w_ij·O_ij / Σ w_ij·E_ij with w_ij = (i−j)²/(k−1)², O the observed and E the
 * chance-expected (product of marginals) proportions. Returns null when undefined: no pairs, or both
 * raters used one and the same category (Σ w·E = 0).
 */
export function weightedKappa(pairs: Array<[number, number]>, k = 4): number | null {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer >= 2, got ${k}`);
  for (const [a, b] of pairs) {
    for (const v of [a, b]) {
      if (!Number.isInteger(v) || v < 1 || v > k)
        throw new RangeError(`rating ${v} is not a category in 1..${k}`);
    }
  }
  const n = pairs.length;
  if (n === 0) return null;
  const rows = new Array<number>(k).fill(0);
  const cols = new Array<number>(k).fill(0);
  let observed = 0;
  for (const [a, b] of pairs) {
    rows[a - 1]! += 1;
    cols[b - 1]! += 1;
    observed += (a - b) ** 2;
  }
  let expected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) expected += (i - j) ** 2 * rows[i]! * cols[j]!;
  }
  // Σw·O/Σw·E with w = (i−j)²/(k−1)²: the (k−1)² and the N vs N² normalisations cancel to this ratio.
  if (expected === 0) return null;
  return 1 - (observed * n) / expected;
}

/** Difference function δ²(c, k) over the sorted distinct values, given their pairable totals n_c. */
function differenceFn(
  metric: AlphaMetric,
  values: number[],
  totals: number[],
): (c: number, k: number) => number {
  if (metric === 'nominal') return (c, k) => (c === k ? 0 : 1);
  if (metric === 'interval') return (c, k) => (values[c]! - values[k]!) ** 2;
  // Ordinal: (Σ_{g=c..k} n_g − (n_c + n_k)/2)², i.e. distance in mid-ranks of the pooled values.
  const cumulative = [0];
  for (const t of totals) cumulative.push(cumulative[cumulative.length - 1]! + t);
  return (c, k) => {
    const lo = Math.min(c, k);
    const hi = Math.max(c, k);
    return (cumulative[hi + 1]! - cumulative[lo]! - (totals[lo]! + totals[hi]!) / 2) ** 2;
  };
}

/**
 * Krippendorff's alpha for any number of raters with missing values: `units` is a units × raters
 * matrix, `null` = not rated. α = 1 − (n−1)·Σ o_ck·δ²_ck / Σ n_c·n_k·δ²_ck over the coincidence
 * matrix o (Krippendorff 2011). Units with fewer than two ratings are not pairable and are ignored.
 * Returns null when undefined: no pairable unit, or every pairable rating has the same value.
 */
export function krippendorffAlpha(
  units: Array<Array<number | null>>,
  metric: AlphaMetric = 'ordinal',
): number | null {
  const pairable: number[][] = [];
  for (const unit of units) {
    const present = unit.filter((v): v is number => v !== null && v !== undefined);
    for (const v of present) assertFinite(v, 'rating');
    if (present.length >= 2) pairable.push(present);
  }
  const values = [...new Set(pairable.flat())].sort((a, b) => a - b);
  const index = new Map(values.map((v, i) => [v, i]));
  const size = values.length;
  const o = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  for (const unit of pairable) {
    // Each ordered pair of ratings from different raters in the unit adds 1/(m_u − 1).
    const weight = 1 / (unit.length - 1);
    for (let i = 0; i < unit.length; i++) {
      for (let j = 0; j < unit.length; j++) {
        if (i !== j) o[index.get(unit[i]!)!]![index.get(unit[j]!)!]! += weight;
      }
    }
  }
  const totals = o.map((row) => row.reduce((s, x) => s + x, 0));
  const n = totals.reduce((s, x) => s + x, 0);
  const delta = differenceFn(metric, values, totals);
  let observed = 0;
  let expected = 0;
  for (let c = 0; c < size; c++) {
    for (let k = 0; k < size; k++) {
      const d = delta(c, k);
      observed += o[c]![k]! * d;
      expected += totals[c]! * totals[k]! * d;
    }
  }
  if (expected === 0) return null;
  return 1 - ((n - 1) * observed) / expected;
}

/**
 * Agreement on one criterion across submissions (`units` = submissions × reviewer slots, levels 1..k).
 * When every unit that has at least two ratings has exactly two, the quadratic-weighted kappa over
 * those pairs (in column order) is reported; otherwise ordinal Krippendorff's alpha. Alpha is always
 * returned alongside, since it is the one statistic defined for every shape of data.
 */
export function agreement(units: Array<Array<number | null>>, k = 4): AgreementResult {
  const pairable = units
    .map((unit) => unit.filter((v): v is number => v !== null && v !== undefined))
    .filter((present) => present.length >= 2);
  const alpha = krippendorffAlpha(units, 'ordinal');
  if (pairable.length > 0 && pairable.every((present) => present.length === 2)) {
    const pairs = pairable.map((p): [number, number] => [p[0]!, p[1]!]);
    return { method: 'weighted-kappa', value: weightedKappa(pairs, k), n: pairable.length, alpha };
  }
  return { method: 'krippendorff-alpha', value: alpha, n: pairable.length, alpha };
}

/**
 * Per-reviewer calibration. For each rating on a unit+criterion that at least one other reviewer also
 * rated, diff = own level − mean of the OTHER reviewers' levels; reports the mean diff (bias), the mean
 * |diff| and the count. Reviewers with no such overlap are omitted. Sorted by reviewer.
 */
export function calibration(ratings: Rating[]): ReviewerCalibration[] {
  const cells = new Map<string, Map<string, number>>();
  for (const r of ratings) {
    assertFinite(r.level, 'level');
    const key = JSON.stringify([r.unit, r.criterion]);
    const cell = cells.get(key) ?? new Map<string, number>();
    if (cell.has(r.reviewer)) {
      throw new RangeError(`reviewer ${r.reviewer} rated ${r.unit}/${r.criterion} more than once`);
    }
    cell.set(r.reviewer, r.level);
    cells.set(key, cell);
  }
  const acc = new Map<string, { sum: number; abs: number; n: number }>();
  for (const cell of cells.values()) {
    if (cell.size < 2) continue;
    const total = [...cell.values()].reduce((s, x) => s + x, 0);
    for (const [reviewer, level] of cell) {
      const diff = level - (total - level) / (cell.size - 1);
      const a = acc.get(reviewer) ?? { sum: 0, abs: 0, n: 0 };
      a.sum += diff;
      a.abs += Math.abs(diff);
      a.n += 1;
      acc.set(reviewer, a);
    }
  }
  return [...acc.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([reviewer, a]) => ({ reviewer, bias: a.sum / a.n, meanAbsDiff: a.abs / a.n, n: a.n }));
}

/**
 * Weighted rubric score in [0, 100]: Σ w_i·(level_i − 1)/3 / Σ w_i × 100 over the criteria that have
 * a level (levels 1..4 map linearly to 0..1). Criteria without a level drop out of both sums, so a
 * partial review is scored on what was rated. Null when nothing is rated or the rated weights sum to 0.
 */
export function weightedScore(
  criteria: Array<{ id: string; weight: number }>,
  levels: Record<string, number>,
): number | null {
  let num = 0;
  let den = 0;
  for (const { id, weight } of criteria) {
    if (!Number.isFinite(weight) || weight < 0)
      throw new RangeError(`weight of ${id} must be >= 0, got ${weight}`);
    if (!Object.hasOwn(levels, id)) continue;
    const level = levels[id]!;
    if (!Number.isFinite(level) || level < 1 || level > 4)
      throw new RangeError(`level of ${id} must be in 1..4, got ${level}`);
    num += (weight * (level - 1)) / 3;
    den += weight;
  }
  return den === 0 ? null : (num / den) * 100;
}

/**
 * Per criterion, the largest pairwise level difference between reviewers (max − min) on one
 * submission, flagged when ≥ threshold (default 2: e.g. one reviewer says 1, another 3). Criteria rated
 * by fewer than two reviewers have no pair and are omitted. Order: first appearance.
 */
export function disagreements(
  levelsByReviewer: Record<string, Record<string, number>>,
  threshold = 2,
): Array<{ criterion: string; spread: number; flagged: boolean }> {
  const byCriterion = new Map<string, number[]>();
  for (const levels of Object.values(levelsByReviewer)) {
    for (const [criterion, level] of Object.entries(levels)) {
      assertFinite(level, `level of ${criterion}`);
      const list = byCriterion.get(criterion) ?? [];
      list.push(level);
      byCriterion.set(criterion, list);
    }
  }
  return [...byCriterion.entries()]
    .filter(([, list]) => list.length >= 2)
    .map(([criterion, list]) => {
      const spread = Math.max(...list) - Math.min(...list);
      return { criterion, spread, flagged: spread >= threshold };
    });
}
