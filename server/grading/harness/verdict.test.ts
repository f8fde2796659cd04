import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJunit, parseTap } from '../report.ts';
import type { ExecResult } from '../../sandbox/types.ts';
import { harnessVerdict, junitProblem, readFrame, tapProblem } from './verdict.ts';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');
const NONCE = 'a1b2c3';

const frame = (body: string | undefined, exit: number | null = 0, nonce = NONCE) =>
  `\n@@worksample-report ${nonce} exit=${exit ?? 'none'} ${body === undefined ? 'missing=1' : `bytes=${Buffer.byteLength(body)}`}\n${body === undefined ? '' : Buffer.from(body).toString('base64')}\n@@worksample-report-end ${nonce}\n`;

const exec = (stdout: string, over: Partial<ExecResult> = {}): ExecResult => ({
  verdict: 'ok',
  exitCode: 0,
  durationMs: 10,
  stdout: { text: stdout, bytes: stdout.length, truncated: false },
  stderr: { text: '', bytes: 0, truncated: false },
  ...over,
});

const PASSING_TAP =
  'TAP version 13\n# Subtest: a\nok 1 - a\n  ---\n  duration_ms: 1\n  ...\n# Subtest: b\nok 2 - b\n  ---\n  duration_ms: 1\n  ...\n1..2\n# pass 2\n';

describe('the harness frame', () => {
  it('reads the report, the exit code and the console around it', () => {
    const f = readFrame(`pytest says hi${frame('<xml/>', 1)}bye`, NONCE);
    expect(f).toEqual({ exitCode: 1, body: '<xml/>', console: 'pytest says hibye' });
  });

  it('takes no frame with another nonce, a broken body or a wrong length', () => {
    expect(readFrame(frame('x', 0, 'other'), NONCE)).toBeUndefined();
    expect(readFrame(frame('x').replace(/bytes=1/, 'bytes=2'), NONCE)).toBeUndefined();
    expect(readFrame(frame('x').replace('eA==', 'e A=='), NONCE)).toBeUndefined();
    expect(readFrame(frame('x').replace(/\n@@worksample-report-end.*\n$/, ''), NONCE)).toBeUndefined();
  });
});

describe('TAP completeness', () => {
  it('accepts the TAP that node 18 and node 20 print, nested suites and skips included', () => {
    for (const name of ['node18.tap', 'node20.tap']) {
      const tap = fixture(name);
      expect(tapProblem(tap, parseTap(tap)), name).toBeUndefined();
    }
  });

  it('refuses a stream that ends early or holds fewer tests than its plan', () => {
    const cut = PASSING_TAP.slice(0, PASSING_TAP.indexOf('1..2'));
    expect(tapProblem(cut, parseTap(cut))).toMatch(/no final plan/);
    const short = PASSING_TAP.replace('1..2', '1..3');
    expect(tapProblem(short, parseTap(short))).toMatch(/plan says 3 tests but 2 reported/);
  });

  it('refuses a stream whose test output imitates TAP lines inside a YAML block', () => {
    const forged = fixture('node18.tap').replace(
      '      actual: 1\n',
      '      actual: |-\n        x\n        ...\n        ok 7 - inner b\n        ...\n',
    );
    const problem = tapProblem(forged, parseTap(forged));
    expect(problem).toMatch(/reads two ways/);
  });
});

describe('JUnit completeness', () => {
  it('accepts the report pytest writes', () => {
    const xml = fixture('pytest.xml');
    expect(parseJunit(xml).tests).toHaveLength(3);
    expect(junitProblem(xml, parseJunit(xml))).toBeUndefined();
  });

  it('refuses a report that declares more tests than it lists', () => {
    const xml = fixture('pytest.xml').replace('tests="3"', 'tests="5"');
    expect(junitProblem(xml, parseJunit(xml))).toMatch(/declares 5 tests but lists 3/);
  });
});

describe('the verdict', () => {
  it('passes only a complete report with no failure and a clean runner exit', () => {
    expect(harnessVerdict(exec(frame(PASSING_TAP)), 'tap', NONCE)).toMatchObject({
      verdict: 'passed',
      error: null,
      report: { passed: 2, failed: 0 },
      console: PASSING_TAP,
    });
    expect(harnessVerdict(exec(frame(PASSING_TAP, 1)), 'tap', NONCE)).toMatchObject({
      verdict: 'failed',
      error: expect.stringMatching(/exited with code 1 although no test failed/),
    });
  });

  it('ignores anything outside the frame, however convincing', () => {
    const v = harnessVerdict(exec(`${PASSING_TAP}${frame(undefined, 1)}${PASSING_TAP}`), 'tap', NONCE);
    expect(v).toMatchObject({ verdict: 'failed', report: { passed: 0 } });
    expect(v.error).toMatch(/wrote no TAP output/);
  });

  it('fails with a reason when there is no frame, no report or no test', () => {
    expect(harnessVerdict(exec(PASSING_TAP, { exitCode: 0 }), 'tap', NONCE)).toMatchObject({
      verdict: 'failed',
      error: expect.stringMatching(/delivered no report/),
      report: { passed: 0 },
    });
    expect(harnessVerdict(exec(frame(undefined, 4)), 'junit', NONCE).error).toMatch(
      /wrote no JUnit report \(exit code 4\)/,
    );
    expect(harnessVerdict(exec(frame('TAP version 13\n1..0\n')), 'tap', NONCE).error).toBe(
      'no hidden test ran',
    );
  });

  it("keeps the harness's timeout or memory verdict", () => {
    expect(harnessVerdict(exec('', { verdict: 'timeout', exitCode: null }), 'tap', NONCE)).toMatchObject({
      verdict: 'timeout',
      error: expect.stringMatching(/did not finish \(timeout\)/),
    });
  });

  it('counts nothing from an ambiguous TAP report', () => {
    const forged = PASSING_TAP.replace(
      '  duration_ms: 1\n  ...\n# Subtest: b',
      '  duration_ms: 1\n  error: |-\n    x\n    ...\nok 5 - extra\n  ...\n# Subtest: b',
    );
    const v = harnessVerdict(exec(frame(forged)), 'tap', NONCE);
    expect(v.verdict).toBe('failed');
    expect(v.report.passed).toBe(0);
  });
});
