/**
 * The parsers against real runner output (server/grading/fixtures/, see its README): node --test
 * (tap, junit), pytest --junitxml and vitest (junit, tap, tap-flat). Every flat fixture is
 * pass/fail/pass and must read as 2 passed, 1 failed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJunit, parseTap, type TestReport } from './report.ts';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');
const parse = (name: string): TestReport =>
  name.endsWith('.xml') ? parseJunit(fixture(name)) : parseTap(fixture(name));
const lines = (r: TestReport) => r.tests.map((t) => `${t.status} ${t.name}`);

describe('pass/fail/pass from every runner', () => {
  it.each([
    ['node-tap-flat.tap', ['passed adds', 'failed subtracts', 'passed multiplies']],
    ['node-junit-flat.xml', ['passed test::adds', 'failed test::subtracts', 'passed test::multiplies']],
    [
      'pytest-flat.xml',
      [
        'passed test_flat::test_adds',
        'failed test_flat::test_subtracts',
        'passed test_flat::test_multiplies',
      ],
    ],
    [
      'vitest-junit-flat.xml',
      [
        'passed flat/flat.test.ts::adds',
        'failed flat/flat.test.ts::subtracts',
        'passed flat/flat.test.ts::multiplies',
      ],
    ],
    ['vitest-tap-flat.tap', ['passed adds', 'failed subtracts', 'passed multiplies']],
  ])('%s: 2 passed, 1 failed, nothing missing', (name, expected) => {
    const r = parse(name);
    expect(r).toMatchObject({ passed: 2, failed: 1, skipped: 0 });
    expect(r.problem).toBeUndefined();
    expect(lines(r)).toEqual(expected);
  });

  it.each([
    'node-tap-flat.tap',
    'node-junit-flat.xml',
    'pytest-flat.xml',
    'vitest-junit-flat.xml',
    'vitest-tap-flat.tap',
  ])('%s: the failure carries the assertion message', (name) => {
    const failed = parse(name).tests.find((t) => t.status === 'failed')!;
    expect(failed.message).toMatch(/strictly equal|assert \(2 - 1\) == 0|expected 1 to be \+0/);
  });
});

describe('nested suites, skips and errors', () => {
  it.each([
    ['node-tap-nested.tap', ['adds', 'subtracts', 'multiplies', 'divides later', 'joins', 'upper']],
    [
      'node-junit-nested.xml',
      [
        'test::adds',
        'test::subtracts',
        'test::multiplies',
        'test::divides later',
        'test::joins',
        'test::upper',
      ],
    ],
    ['vitest-tap-nested.tap', ['adds', 'subtracts', 'multiplies', 'divides later', 'joins', 'upper']],
    [
      'vitest-tap-flat-nested.tap',
      [
        'sample.test.ts > adds',
        'sample.test.ts > subtracts',
        'sample.test.ts > multiplies',
        'sample.test.ts > divides later',
        'sample.test.ts > strings > joins',
        'sample.test.ts > strings > case > upper',
      ],
    ],
    [
      'vitest-junit-nested.xml',
      ['adds', 'subtracts', 'multiplies', 'divides later', 'strings > joins', 'strings > case > upper'].map(
        (n) => `sample.test.ts::${n}`,
      ),
    ],
  ])('%s: leaf tests only, 4 passed 1 failed 1 skipped', (name, names) => {
    const r = parse(name);
    expect(r.tests.map((t) => t.name)).toEqual(names);
    expect(r).toMatchObject({ passed: 4, failed: 1, skipped: 1 });
    expect(r.problem).toBeUndefined();
    expect(r.tests.find((t) => t.name.endsWith('divides later'))!.status).toBe('skipped');
  });

  it('pytest: a test class and an unexpected exception', () => {
    const r = parse('pytest-nested.xml');
    expect(r).toMatchObject({ passed: 3, failed: 2, skipped: 1 });
    expect(r.problem).toBeUndefined();
    expect(r.tests.find((t) => t.name === 'test_sample.TestStrings::test_raises_error')).toMatchObject({
      status: 'failed',
      message: 'RuntimeError: boom',
    });
  });

  it('keeps durations from node and vitest', () => {
    expect(parse('node-tap-flat.tap').tests[0]!.durationMs).toBeGreaterThan(0);
    expect(parse('vitest-tap-flat.tap').tests[0]!.durationMs).toBeGreaterThan(0);
    expect(parse('node-junit-flat.xml').tests[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });
});

describe('reports that say less than they should have a problem', () => {
  it('a TAP run cut off before its plan', () => {
    const text = fixture('node-tap-flat.tap');
    const cut = text.slice(0, text.indexOf('1..3'));
    const r = parseTap(cut);
    expect(r.passed).toBe(2);
    expect(r.problem).toMatch(/no plan \(1\.\.N\)/);
  });

  it('a TAP plan that declares more tests than were reported', () => {
    const text = fixture('node-tap-flat.tap');
    const r = parseTap(text.replace(/not ok 2 - subtracts[\s\S]*?\n {2}\.\.\.\n/, ''));
    expect(r).toMatchObject({ passed: 2, failed: 0 });
    expect(r.problem).toBe('the TAP plan declares 3 tests but only 2 were reported');
  });

  it('fake "ok" lines glued after a finished TAP run', () => {
    const r = parseTap(`${fixture('node-tap-flat.tap')}ok 4 - subtracts\n`);
    expect(r.problem).toMatch(/lists 4 top-level tests but its plan declares 3/);
    const twice = parseTap(`${fixture('node-tap-flat.tap')}ok 1 - subtracts\n1..1\n`);
    expect(twice.problem).toMatch(/2 plans/);
  });

  it('a bail out', () => {
    expect(parseTap('TAP version 13\nok 1 - a\nBail out! database down\n1..1\n').problem).toMatch(
      /bailed out/,
    );
  });

  it('output that is not TAP, and a run with no tests', () => {
    expect(parseTap('Segmentation fault\n')).toEqual({
      tests: [],
      passed: 0,
      failed: 0,
      skipped: 0,
      problem: 'no TAP test results in the output',
    });
    expect(parseTap('TAP version 13\n1..0\n# tests 0\n').problem).toBe('the test run reported no tests');
  });

  it.each(['node-junit-flat.xml', 'pytest-flat.xml', 'vitest-junit-flat.xml'])(
    '%s with a test case removed',
    (name) => {
      const xml = fixture(name).replace(/<testcase[^>]*name="multiplies"[^>]*?(\/>|>\s*<\/testcase>)/, '');
      const alt =
        xml === fixture(name) ? xml.replace(/<testcase[^>]*name="test_multiplies"[^>]*\/>/, '') : xml;
      expect(alt).not.toBe(fixture(name));
      const r = parseJunit(alt);
      expect(r.tests).toHaveLength(2);
      expect(r.problem).toBe('the JUnit report declares 3 tests but lists only 2');
    },
  );

  it('an empty, tests-free or DOCTYPE-carrying JUnit report', () => {
    expect(parseJunit('').problem).toBe('the JUnit report is empty');
    expect(parseJunit('<testsuites></testsuites>').problem).toMatch(
      /no <testsuites> or <testsuite>|lists no tests/,
    );
    expect(
      parseJunit(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><testsuites><testsuite tests="1"/></testsuites>',
      ).problem,
    ).toMatch(/DOCTYPE/);
  });
});
