/**
 * The integrity signals of an attempt in neutral words for reviewers ("3 pastes over 200
 * characters", "away 4 min in 2 periods", "opened from a second browser"): facts to ask about, not
 * verdicts. Reads the timeline's integrity.* and attempt.device events (server/attempts/signals.ts,
 * devices.ts); payload values are candidate-reported numbers, shown only as text.
 */
import type { TimelineEvent } from '../types.ts';
import { deviceSummary } from './replay-state.ts';

export interface IntegrityFacts {
  pastes: number;
  largestPaste: number;
  awayMs: number;
  awayPeriods: number;
  browsers: number;
  refused: number;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

export function integrityFacts(events: TimelineEvent[]): IntegrityFacts {
  const pastes = events.filter((e) => e.type === 'integrity.paste').map((e) => num(e.payload?.chars));
  const away = events.filter((e) => e.type === 'integrity.away').map((e) => num(e.payload?.ms));
  const { browsers, refused } = deviceSummary(events);
  return {
    pastes: pastes.length,
    largestPaste: Math.max(0, ...pastes),
    awayMs: away.reduce((a, b) => a + b, 0),
    awayPeriods: away.length,
    browsers: browsers.length,
    refused,
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "45 s", "4 min", "1 h 5 min" */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

const ORDINAL = ['a second', 'a third', 'a fourth'];

/** One neutral sentence per kind of signal; empty when there is nothing to mention. */
export function integrityLines(f: IntegrityFacts, pasteMin = 200): string[] {
  const lines: string[] = [];
  if (f.pastes)
    lines.push(
      `${plural(f.pastes, 'paste')} over ${pasteMin} characters (largest ${f.largestPaste.toLocaleString()})`,
    );
  if (f.awayPeriods) lines.push(`away ${duration(f.awayMs)} in ${plural(f.awayPeriods, 'period')}`);
  if (f.browsers > 1)
    lines.push(
      f.browsers - 2 < ORDINAL.length
        ? `opened from ${ORDINAL[f.browsers - 2]} browser`
        : `opened from ${f.browsers} browsers`,
    );
  if (f.refused) lines.push(`${plural(f.refused, 'other browser')} turned away (locked to the first)`);
  return lines;
}
