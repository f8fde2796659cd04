/** Where a run's time goes: its Engine API calls, as offsets from the moment Run was clicked. */
import type { ApiCall } from './trace.ts';
import { percentile } from './stats.ts';

export interface Step {
  op: string;
  /** Median start, ms after the click. */
  at: number;
  /** Median duration, ms. */
  ms: number;
}

/** The calls made during one run, relative to its start. */
export const callsOf = (calls: ApiCall[], from: number, t0: number, t1: number) =>
  calls
    .slice(from)
    .filter((c) => c.start >= t0 && c.start <= t1)
    .map((c) => ({ op: c.op, at: c.start - t0, ms: c.end - c.start }));

/**
 * The median step at each position when every run made the same sequence of calls; otherwise the
 * sequence of the run whose call count is most common, positions taken from those runs only.
 */
export function medianTimeline(runs: Array<Array<{ op: string; at: number; ms: number }>>): Step[] {
  const key = (r: Array<{ op: string }>) => r.map((c) => c.op).join('|');
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  const common = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  const same = runs.filter((r) => key(r) === common);
  if (!same.length) return [];
  return same[0]!.map((c, i) => ({
    op: c.op,
    at:
      Math.round(
        percentile(
          same.map((r) => r[i]!.at),
          50,
        ) * 10,
      ) / 10,
    ms:
      Math.round(
        percentile(
          same.map((r) => r[i]!.ms),
          50,
        ) * 10,
      ) / 10,
  }));
}
