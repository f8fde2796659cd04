/**
 * Small inline SVG plots for grading quality: agreement per criterion as bars on a −1…1 scale, and
 * reviewer calibration as dots (mean level difference against the other reviewers). Every mark is
 * labelled with its number; the SVG has a title and the numbers are repeated in text for screen readers.
 */
import type { Agreement, AgreementResult } from '../types.ts';

const W = 620;
const LABEL = 150;
const VALUE = 150;
const ROW = 26;

const fmt = (v: number | null, digits = 2) => (v === null ? 'n/a' : v.toFixed(digits));

/** Interpretation bands commonly used for κ / α (Landis & Koch style, rounded). */
const quality = (v: number | null) =>
  v === null
    ? 'not enough data'
    : v >= 0.8
      ? 'strong'
      : v >= 0.6
        ? 'substantial'
        : v >= 0.4
          ? 'moderate'
          : v >= 0.2
            ? 'weak'
            : 'poor';

export function AgreementPlot({ rows }: { rows: { label: string; r: AgreementResult }[] }) {
  const plotW = W - LABEL - VALUE - 12;
  const x = (v: number) => LABEL + ((v + 1) / 2) * plotW;
  const h = rows.length * ROW + 30;
  return (
    <figure class="plot" data-testid="agreement-plot">
      <svg
        viewBox={`0 0 ${W} ${h}`}
        width="100%"
        style={{ maxWidth: `${W}px` }}
        role="img"
        aria-labelledby="agr-t"
      >
        <title id="agr-t">Agreement per criterion, −1 to 1 (1 = perfect agreement, 0 = chance)</title>
        {[-1, -0.5, 0, 0.5, 1].map((t) => (
          <g key={t}>
            <line x1={x(t)} x2={x(t)} y1={4} y2={h - 22} class={t === 0 ? 'axis' : 'gridline'} />
            <text x={x(t)} y={h - 8} text-anchor="middle" class="tick-label">
              {t}
            </text>
          </g>
        ))}
        {rows.map(({ label, r }, i) => {
          const y = 8 + i * ROW;
          const v = r.value;
          return (
            <g key={label}>
              <text x={LABEL - 8} y={y + 13} text-anchor="end" class="row-label">
                {label}
              </text>
              {v !== null && (
                <rect
                  x={Math.min(x(0), x(v))}
                  y={y + 2}
                  width={Math.max(1, Math.abs(x(v) - x(0)))}
                  height={ROW - 10}
                  class={v >= 0.6 ? 'bar good' : v >= 0.2 ? 'bar fair' : 'bar poor'}
                />
              )}
              <text x={W - VALUE} y={y + 13} class="value">
                {fmt(v)}
                {r.n ? ` (n=${r.n})` : ''}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption class="small muted">
        {rows[0]?.r.method === 'weighted-kappa'
          ? 'Quadratic-weighted Cohen’s κ (two reviewers per submission)'
          : 'Krippendorff’s ordinal α'}
        ; n = submissions with at least two reviews.
      </figcaption>
      <ul class="sr-only">
        {rows.map(({ label, r }) => (
          <li key={label}>
            {label}: {fmt(r.value)} ({quality(r.value)}), {r.n} submissions
          </li>
        ))}
      </ul>
    </figure>
  );
}

export function CalibrationPlot({ rows }: { rows: Agreement['calibration'] }) {
  const plotW = W - LABEL - VALUE - 12;
  const x = (v: number) => LABEL + ((Math.max(-3, Math.min(3, v)) + 3) / 6) * plotW;
  const h = rows.length * ROW + 30;
  if (!rows.length) return <p class="muted">No reviewer has overlapping reviews yet.</p>;
  return (
    <figure class="plot" data-testid="calibration-plot">
      <svg
        viewBox={`0 0 ${W} ${h}`}
        width="100%"
        style={{ maxWidth: `${W}px` }}
        role="img"
        aria-labelledby="cal-t"
      >
        <title id="cal-t">
          Reviewer calibration: mean level difference from the other reviewers (left = stricter, right = more
          lenient)
        </title>
        {[-3, -2, -1, 0, 1, 2, 3].map((t) => (
          <g key={t}>
            <line x1={x(t)} x2={x(t)} y1={4} y2={h - 22} class={t === 0 ? 'axis' : 'gridline'} />
            <text x={x(t)} y={h - 8} text-anchor="middle" class="tick-label">
              {t > 0 ? `+${t}` : t}
            </text>
          </g>
        ))}
        {rows.map((c, i) => {
          const y = 8 + i * ROW;
          return (
            <g key={c.reviewer}>
              <text x={LABEL - 8} y={y + 13} text-anchor="end" class="row-label">
                {c.name}
              </text>
              <line
                x1={x(c.bias - c.meanAbsDiff)}
                x2={x(c.bias + c.meanAbsDiff)}
                y1={y + 9}
                y2={y + 9}
                class="spread"
              />
              <circle cx={x(c.bias)} cy={y + 9} r={6} class={Math.abs(c.bias) >= 1 ? 'dot off' : 'dot'} />
              <text x={W - VALUE} y={y + 13} class="value">
                {c.bias >= 0 ? '+' : ''}
                {c.bias.toFixed(2)} (|d| {c.meanAbsDiff.toFixed(2)}, n={c.n})
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption class="small muted">
        Dot: mean of (own level − mean of the others’ levels) on shared criteria; line: ± mean absolute
        difference.
      </figcaption>
      <ul class="sr-only">
        {rows.map((c) => (
          <li key={c.reviewer}>
            {c.name}: bias {c.bias.toFixed(2)}, mean absolute difference {c.meanAbsDiff.toFixed(2)}, {c.n}{' '}
            ratings
          </li>
        ))}
      </ul>
    </figure>
  );
}

export function FunnelPlot({ counts, total }: { counts: Record<string, number>; total: number }) {
  const stages = Object.entries(counts);
  const plotW = W - LABEL - 60;
  const h = stages.length * ROW + 8;
  const max = Math.max(1, ...stages.map(([, n]) => n));
  return (
    <figure class="plot" data-testid="funnel">
      <svg
        viewBox={`0 0 ${W} ${h}`}
        width="100%"
        style={{ maxWidth: `${W}px` }}
        role="img"
        aria-labelledby="fun-t"
      >
        <title id="fun-t">Invitations by stage ({total} in all)</title>
        {stages.map(([stage, n], i) => {
          const y = 4 + i * ROW;
          return (
            <g key={stage}>
              <text x={LABEL - 8} y={y + 13} text-anchor="end" class="row-label">
                {stage}
              </text>
              <rect
                x={LABEL}
                y={y + 2}
                width={Math.max(n ? 2 : 0, (n / max) * plotW)}
                height={ROW - 10}
                class="bar neutral"
              />
              <text x={LABEL + (n / max) * plotW + 6} y={y + 13} class="value">
                {n}
              </text>
            </g>
          );
        })}
      </svg>
      <ul class="sr-only">
        {stages.map(([s, n]) => (
          <li key={s}>
            {s}: {n}
          </li>
        ))}
      </ul>
    </figure>
  );
}
