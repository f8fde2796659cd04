/**
 * Small inline SVG plots for grading quality: agreement per criterion as bars on a −1…1 scale, and
 * reviewer calibration as dots (mean level difference against the other reviewers). Every mark is
 * labelled with its number; the SVG has a title and the numbers are repeated in text for screen readers.
 *
 * Readable at normal zoom: the SVG is drawn at its own pixel size (never scaled down to fit; a narrow
 * window scrolls it sideways), every text is at least FONT px, and labels too long for their column
 * are shortened with an ellipsis (the full text in a tooltip and the screen-reader list) instead of
 * running off the edge.
 */
import type { ComponentChildren } from 'preact';
import type { Agreement, AgreementResult } from '../types.ts';

export const W = 700;
const LABEL = 190;
const VALUE = 220;
const ROW = 28;
/** Font size of every label and number, in px. */
export const FONT = 13;
/** A generous average glyph width for FONT (system sans-serif), used to fit labels to their column. */
export const GLYPH = FONT * 0.62;

/** `text` shortened with an ellipsis to fit `px` at FONT. */
export function fit(text: string, px: number): string {
  const max = Math.max(1, Math.floor(px / GLYPH));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A row label, right-aligned before the plot area, with the full text as its tooltip. */
function RowLabel({ y, text }: { y: number; text: string }) {
  return (
    <text x={LABEL - 8} y={y} text-anchor="end" class="row-label" font-size={FONT}>
      <title>{text}</title>
      {fit(text, LABEL - 12)}
    </text>
  );
}

/** The plot's SVG at its own size, in a box that scrolls sideways when the window is narrower. */
function Svg({ h, labelledBy, children }: { h: number; labelledBy: string; children: ComponentChildren }) {
  return (
    <div class="plot-scroll">
      <svg viewBox={`0 0 ${W} ${h}`} width={W} height={h} role="img" aria-labelledby={labelledBy}>
        {children}
      </svg>
    </div>
  );
}

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
      <Svg h={h} labelledBy="agr-t">
        <title id="agr-t">Agreement per criterion, −1 to 1 (1 = perfect agreement, 0 = chance)</title>
        {[-1, -0.5, 0, 0.5, 1].map((t) => (
          <g key={t}>
            <line x1={x(t)} x2={x(t)} y1={4} y2={h - 22} class={t === 0 ? 'axis' : 'gridline'} />
            <text x={x(t)} y={h - 8} text-anchor="middle" class="tick-label" font-size={FONT}>
              {t}
            </text>
          </g>
        ))}
        {rows.map(({ label, r }, i) => {
          const y = 8 + i * ROW;
          const v = r.value;
          return (
            <g key={label}>
              <RowLabel y={y + 14} text={label} />
              {v !== null && (
                <rect
                  x={Math.min(x(0), x(v))}
                  y={y + 2}
                  width={Math.max(1, Math.abs(x(v) - x(0)))}
                  height={ROW - 10}
                  class={v >= 0.6 ? 'bar good' : v >= 0.2 ? 'bar fair' : 'bar poor'}
                />
              )}
              <text x={W - VALUE + 8} y={y + 14} class="value" font-size={FONT}>
                {fmt(v)}
                {r.n ? ` (n=${r.n})` : ''}
              </text>
            </g>
          );
        })}
      </Svg>
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
      <Svg h={h} labelledBy="cal-t">
        <title id="cal-t">
          Reviewer calibration: mean level difference from the other reviewers (left = stricter, right = more
          lenient)
        </title>
        {[-3, -2, -1, 0, 1, 2, 3].map((t) => (
          <g key={t}>
            <line x1={x(t)} x2={x(t)} y1={4} y2={h - 22} class={t === 0 ? 'axis' : 'gridline'} />
            <text x={x(t)} y={h - 8} text-anchor="middle" class="tick-label" font-size={FONT}>
              {t > 0 ? `+${t}` : t}
            </text>
          </g>
        ))}
        {rows.map((c, i) => {
          const y = 8 + i * ROW;
          return (
            <g key={c.reviewer}>
              <RowLabel y={y + 14} text={c.name} />
              <line
                x1={x(c.bias - c.meanAbsDiff)}
                x2={x(c.bias + c.meanAbsDiff)}
                y1={y + 9}
                y2={y + 9}
                class="spread"
              />
              <circle cx={x(c.bias)} cy={y + 9} r={6} class={Math.abs(c.bias) >= 1 ? 'dot off' : 'dot'} />
              <text x={W - VALUE + 8} y={y + 14} class="value" font-size={FONT}>
                {c.bias >= 0 ? '+' : ''}
                {c.bias.toFixed(2)} (|d| {c.meanAbsDiff.toFixed(2)}, n={c.n})
              </text>
            </g>
          );
        })}
      </Svg>
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
  const plotW = W - LABEL - 80;
  const h = stages.length * ROW + 8;
  const max = Math.max(1, ...stages.map(([, n]) => n));
  return (
    <figure class="plot" data-testid="funnel">
      <Svg h={h} labelledBy="fun-t">
        <title id="fun-t">Invitations that reached each stage ({total} in all)</title>
        {stages.map(([stage, n], i) => {
          const y = 4 + i * ROW;
          return (
            <g key={stage}>
              <RowLabel y={y + 14} text={stage} />
              <rect
                x={LABEL}
                y={y + 2}
                width={Math.max(n ? 2 : 0, (n / max) * plotW)}
                height={ROW - 10}
                class="bar neutral"
              />
              <text x={LABEL + (n / max) * plotW + 6} y={y + 14} class="value" font-size={FONT}>
                {n}
              </text>
            </g>
          );
        })}
      </Svg>
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
