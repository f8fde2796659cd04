// @vitest-environment happy-dom
/**
 * The admin plots are readable at normal zoom: drawn at their own pixel size (never shrunk to fit, so a
 * 13px label stays 13px), every label and number at least 12px, and nothing running off the edge —
 * long reviewer names and criterion titles are shortened with an ellipsis, wide numbers fit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { render } from 'preact';
import { AgreementPlot, CalibrationPlot, FunnelPlot, GLYPH } from './plots.tsx';

let root: HTMLElement;
afterEach(() => {
  render(null, root);
  root.remove();
});

function draw(node: preact.ComponentChild) {
  root = document.createElement('div');
  document.body.append(root);
  render(node, root);
  return root.querySelector('svg')!;
}

/** Every text of the SVG: its size and its horizontal extent (estimated glyph width, per anchor). */
function texts(svg: SVGSVGElement) {
  return [...svg.querySelectorAll('text')].map((t) => {
    const size = Number(t.getAttribute('font-size'));
    const shown = [...t.childNodes]
      .filter((n) => n.nodeName.toLowerCase() !== 'title')
      .map((n) => n.textContent)
      .join('');
    const width = shown.length * GLYPH;
    const x = Number(t.getAttribute('x'));
    const anchor = t.getAttribute('text-anchor');
    const left = anchor === 'end' ? x - width : anchor === 'middle' ? x - width / 2 : x;
    return { shown, size, left, right: left + width };
  });
}

function expectReadable(svg: SVGSVGElement) {
  const [, , w] = svg.getAttribute('viewBox')!.split(' ').map(Number);
  // Drawn at its own size: one SVG unit is one CSS pixel (a 100% width shrank it in a narrow column).
  expect(svg.getAttribute('width')).toBe(String(w));
  const all = texts(svg);
  expect(all.length).toBeGreaterThan(3);
  for (const t of all) {
    expect(t.size, t.shown).toBeGreaterThanOrEqual(12);
    expect(t.left, `${t.shown} starts off the left edge`).toBeGreaterThanOrEqual(0);
    expect(t.right, `${t.shown} runs off the right edge`).toBeLessThanOrEqual(w!);
  }
}

const LONG = 'Maximilian Alexander Featherstonehaugh-Worthington';

describe('plots', () => {
  it('calibration: a long reviewer name and a wide value fit, the full name in a tooltip', () => {
    const svg = draw(
      <CalibrationPlot
        rows={[
          { reviewer: 'u1', name: LONG, bias: -2.75, meanAbsDiff: 2.75, n: 1234 },
          { reviewer: 'u2', name: 'Ana', bias: 0.5, meanAbsDiff: 0.5, n: 3 },
        ]}
      />,
    );
    expectReadable(svg);
    expect(svg.querySelector('text title')!.textContent).toBe(LONG);
    expect(svg.textContent).toContain('…');
  });

  it('agreement: long criterion titles fit', () => {
    const r = { method: 'weighted-kappa' as const, value: -0.33, n: 120, alpha: null };
    expectReadable(
      draw(
        <AgreementPlot
          rows={[
            { label: `${LONG} criterion`, r },
            { label: 'Clarity', r },
          ]}
        />,
      ),
    );
  });

  it('funnel: the largest count fits beside its bar', () => {
    expectReadable(draw(<FunnelPlot total={10000} counts={{ invited: 10000, started: 5000, decided: 1 }} />));
  });
});
