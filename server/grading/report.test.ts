import { describe, expect, it } from 'vitest';
import { parseJunit, parseTap } from './report.ts';

describe('parseTap', () => {
  it('reads flat node --test output (Node 20)', () => {
    const r = parseTap(
      [
        'TAP version 13',
        '# Subtest: adds',
        'ok 1 - adds',
        '  ---',
        '  duration_ms: 1.5',
        '  ...',
        '# Subtest: handles empty',
        'not ok 2 - handles empty',
        '  ---',
        '  duration_ms: 0.3',
        "  error: 'Expected values to be strictly equal'",
        '  ...',
        'ok 3 - later # SKIP not ready',
        '1..3',
      ].join('\n'),
    );
    expect(r).toMatchObject({ passed: 1, failed: 1, skipped: 1 });
    expect(r.tests[0]).toEqual({ name: 'adds', status: 'passed', durationMs: 1.5 });
    expect(r.tests[1]).toMatchObject({
      name: 'handles empty',
      status: 'failed',
      message: 'Expected values to be strictly equal',
    });
  });

  it('drops parents (files, describe blocks) of nested subtests (Node 18)', () => {
    const r = parseTap(
      [
        'TAP version 13',
        '# Subtest: /workspace/hidden.test.mjs',
        '    # Subtest: parses',
        '    ok 1 - parses',
        '    not ok 2 - fails',
        '1..2',
        'not ok 1 - /workspace/hidden.test.mjs',
        '# Subtest: /workspace/visible.test.mjs',
        '    ok 1 - works',
        'ok 2 - /workspace/visible.test.mjs',
      ].join('\n'),
    );
    expect(r.tests.map((t) => `${t.status} ${t.name}`)).toEqual([
      'passed parses',
      'failed fails',
      'passed works',
    ]);
  });
});

describe('parseJunit', () => {
  it('reads pytest JUnit XML', () => {
    const r = parseJunit(`<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="3">
  <testcase classname="test_hidden" name="test_a" time="0.001"/>
  <testcase classname="test_hidden" name="test_b" time="0.002"><failure message="assert 1 == 2&#10;  where 1 = f()">trace</failure></testcase>
  <testcase classname="test_hidden" name="test_c" time="0"><skipped message="later"/></testcase>
</testsuite></testsuites>`);
    expect(r).toMatchObject({ passed: 1, failed: 1, skipped: 1 });
    expect(r.tests[1]).toEqual({
      name: 'test_hidden::test_b',
      status: 'failed',
      durationMs: 2,
      message: 'assert 1 == 2\n  where 1 = f()',
    });
  });

  it('turns an unreadable report into one failed entry and a problem rather than a crash', () => {
    for (const xml of ['<testsuite><testcase name="x"', '\u0000\u0001 not xml at all <<<']) {
      const r = parseJunit(xml);
      expect(r).toMatchObject({ passed: 0, failed: 1, skipped: 0 });
      expect(r.tests[0]).toMatchObject({ name: 'test report', status: 'failed' });
      expect(r.problem).toMatch(/^the JUnit report (is not valid XML|has no <testsuites>)/);
    }
  });
});

describe('test locations', () => {
  it('points a failed node test at its first frame in candidate code, a passing one nowhere', () => {
    const tap = [
      'TAP version 13',
      'ok 1 - a',
      '  ---',
      '  duration_ms: 1.5',
      '  ...',
      'not ok 2 - b fails',
      '  ---',
      '  duration_ms: 2',
      "  location: '/workspace/x.test.ts:4:1'",
      "  error: '1 == 2'",
      '  stack: |-',
      '    callModel (file:///workspace/node_modules/openai/core.js:9:1)',
      '    TestContext.<anonymous> (file:///workspace/src/my%20file.ts:12:32)',
      '    Test.run (node:internal/test_runner/test:796:25)',
      '  ...',
      '1..2',
    ].join('\n');
    const r = parseTap(tap);
    expect(r.tests[0]!.location).toBeUndefined();
    expect(r.tests[1]!.location).toEqual({ file: '/workspace/src/my file.ts', line: 12 });
  });

  it("reads tsx's source-mapped frames (plain absolute paths) before its location on compiled code", () => {
    const r = parseTap(
      [
        'not ok 1 - my own test fails',
        '  ---',
        "  location: '/workspace/own.test.ts:1:121'",
        "  error: 'x'",
        '  stack: |-',
        '    TestContext.<anonymous> (/workspace/own.test.ts:9:10)',
        '    Test.runInAsyncScope (node:async_hooks:206:9)',
        '  ...',
        '1..1',
      ].join('\n'),
    );
    expect(r.tests[0]!.location).toEqual({ file: '/workspace/own.test.ts', line: 9 });
  });

  it("falls back to the test's own location, and reads pytest's 0-based JUnit line", () => {
    const r = parseTap(
      [
        'not ok 1 - t',
        '  ---',
        "  location: '/workspace/a.test.ts:7:3'",
        "  error: 'x'",
        '  ...',
        '1..1',
      ].join('\n'),
    );
    expect(r.tests[0]!.location).toEqual({ file: '/workspace/a.test.ts', line: 7 });
    const j = parseJunit(
      '<testsuites><testsuite tests="1"><testcase classname="test_v" name="test_a" file="test_v.py" line="9" time="0.1"><failure message="boom"/></testcase></testsuite></testsuites>',
    );
    expect(j.tests[0]!.location).toEqual({ file: 'test_v.py', line: 10 });
  });
});
