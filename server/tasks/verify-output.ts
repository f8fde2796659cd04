/** Reading what a candidate's "Run tests" printed: TAP, node's spec summary or pytest's summary line. */
import { parseTap } from '../grading/index.ts';

export interface VisibleSummary {
  passed: number;
  failed: number;
  /** Which format the numbers came from. */
  format: 'tap' | 'pytest' | 'node-summary';
}

/** Passed and failed counts from a test command's output, or undefined when it printed no results. */
export function visibleTestSummary(output: string): VisibleSummary | undefined {
  // pytest and node colour their output when the environment asks for it.
  // eslint-disable-next-line no-control-regex
  const stdout = output.replace(/\u001b\[[0-9;]*m/g, '');
  const tap = parseTap(stdout);
  if (tap.tests.length) return { passed: tap.passed, failed: tap.failed, format: 'tap' };
  // pytest -q: "1 failed, 2 passed in 0.05s" (also "=== 2 passed in 0.03s ===").
  const lines = stdout.split('\n').filter((l) => /\b\d+ (?:passed|failed|errors?)\b.*\bin [\d.]+s\b/.test(l));
  const last = lines[lines.length - 1];
  if (last) {
    const count = (re: RegExp) => [...last.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
    return {
      passed: count(/(\d+) passed\b/g),
      failed: count(/(\d+) (?:failed|errors?)\b/g),
      format: 'pytest',
    };
  }
  // node --test's spec reporter ends with "ℹ pass N" / "ℹ fail N".
  const pass = /^\W*pass (\d+)\s*$/m.exec(stdout);
  const fail = /^\W*fail (\d+)\s*$/m.exec(stdout);
  if (pass && fail) return { passed: Number(pass[1]), failed: Number(fail[1]), format: 'node-summary' };
  return undefined;
}

/**
 * Whether a failed Run stopped only at a stub the candidate is meant to fill in (Python's
 * NotImplementedError, a JavaScript "not implemented" error) rather than at a broken package
 * (a missing file, a failed import).
 */
export function stoppedAtStub(stderr: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const lines = stderr
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const last = lines[lines.length - 1] ?? '';
  if (/^NotImplementedError\b/.test(last)) return last;
  const js = lines.find((l) => /^(?:Uncaught )?\w*Error: (?:not implemented|TODO\b)/i.test(l));
  return js;
}
