/** Forged test reports: what a tampering submission prints or writes to look like a full pass. */

export interface ForgedTest {
  suite: string;
  name: string;
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** TAP as node --test prints it: every test ok, the plan and the summary comments. */
export function fakeTap(tests: ForgedTest[]): string {
  return [
    'TAP version 13',
    ...tests.flatMap((t, i) => [
      `# Subtest: ${t.name}`,
      `ok ${i + 1} - ${t.name}`,
      '  ---',
      '  duration_ms: 1.2',
      '  ...',
    ]),
    `1..${tests.length}`,
    `# tests ${tests.length}`,
    `# pass ${tests.length}`,
    '# fail 0',
    '',
  ].join('\n');
}

/** A JUnit report in which every test passed (pytest's layout). */
export function fakeJunit(tests: ForgedTest[]): string {
  const cases = tests
    .map((t) => `<testcase classname="${xmlEscape(t.suite)}" name="${xmlEscape(t.name)}" time="0.001" />`)
    .join('');
  return (
    '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">' +
    `<testsuite name="pytest" errors="0" failures="0" skipped="0" tests="${tests.length}" time="0.1">` +
    `${cases}</testsuite></testsuites>\n`
  );
}
