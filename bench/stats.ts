/** Percentiles and the printed table for the benchmarks. */
import os from 'node:os';

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of already-collected samples (ms). */
export function percentile(samples: number[], p: number): number {
  if (!samples.length) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(samples: number[]): Summary {
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    n: samples.length,
    p50: round(percentile(samples, 50)),
    p95: round(percentile(samples, 95)),
    min: round(Math.min(...samples)),
    max: round(Math.max(...samples)),
    mean: round(samples.reduce((a, b) => a + b, 0) / (samples.length || 1)),
  };
}

/** Named sample series; `add` keeps insertion order for the table. */
export class Samples {
  readonly series = new Map<string, number[]>();

  add(name: string, ms: number) {
    const list = this.series.get(name) ?? [];
    list.push(ms);
    this.series.set(name, list);
  }

  get(name: string): number[] {
    return this.series.get(name) ?? [];
  }

  summaries(): Record<string, Summary> {
    return Object.fromEntries([...this.series].map(([k, v]) => [k, summarize(v)]));
  }
}

/** A fixed-width text table of summaries. */
export function table(rows: Record<string, Summary>): string {
  const names = Object.keys(rows);
  const width = Math.max(10, ...names.map((n) => n.length));
  const cols = ['n', 'p50', 'p95', 'min', 'max'] as const;
  const head = `${'measurement'.padEnd(width)}  ${cols.map((c) => c.padStart(9)).join('')}`;
  const lines = names.map((name) => {
    const s = rows[name]!;
    return `${name.padEnd(width)}  ${cols.map((c) => String(s[c]).padStart(9)).join('')}`;
  });
  return [head, '-'.repeat(head.length), ...lines].join('\n');
}

export const elapsed = (t0: number) => performance.now() - t0;

/** The machine's load averages, for a benchmark's first line (the machine may be shared). */
export const loadAverage = () =>
  `load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} (shared machine)`;
