/**
 * Per-test results from a grade command's output: TAP (node --test) on stdout, or JUnit XML
 * (pytest --junitxml, most other runners) from a file. Hostile output can only produce a failed or
 * empty report: parsing is bounded and never evaluates anything.
 */
import { XMLParser } from 'fast-xml-parser';

export interface TestCaseResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  durationMs: number | null;
  message?: string;
}

export interface TestReport {
  tests: TestCaseResult[];
  passed: number;
  failed: number;
  skipped: number;
}

const MAX_TESTS = 2000;
const MAX_MESSAGE = 4000;

export function summarize(tests: TestCaseResult[]): TestReport {
  const count = (s: TestCaseResult['status']) => tests.filter((t) => t.status === s).length;
  return { tests, passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
}

/**
 * Parses TAP 13/14 as node --test prints it. Subtests are indented and printed before their parent,
 * so a test line that follows a deeper-indented one is a parent (a file or a describe block) and is
 * dropped: the report lists leaf tests.
 */
export function parseTap(stdout: string): TestReport {
  const lines = stdout.split('\n');
  const entries: Array<TestCaseResult & { indent: number; parent: boolean }> = [];
  for (let i = 0; i < lines.length && entries.length < MAX_TESTS; i++) {
    const m = /^(\s*)(not ok|ok)\s+\d+(?:\s+-)?\s*(.*?)(?:\s+#\s*(SKIP|TODO)\b.*)?$/i.exec(lines[i]!);
    if (!m) continue;
    const indent = m[1]!.length;
    const yaml: string[] = [];
    if (/^\s*---\s*$/.test(lines[i + 1] ?? '')) {
      for (i += 2; i < lines.length && !/^\s*\.\.\.\s*$/.test(lines[i]!); i++) yaml.push(lines[i]!);
    }
    const block = yaml.join('\n');
    const ok = m[2]!.toLowerCase() === 'ok';
    const duration = /duration_ms:\s*([\d.]+)/.exec(block);
    const error = /^\s*error:\s*(.*)$/m
      .exec(block)?.[1]
      ?.replace(/^['"|>-]+\s*/, '')
      .replace(/['"]\s*$/, '');
    const previous = entries[entries.length - 1];
    entries.push({
      indent,
      parent: previous !== undefined && previous.indent > indent,
      name: m[3]!.trim() || '(unnamed)',
      status: m[4] ? 'skipped' : ok ? 'passed' : 'failed',
      durationMs: duration ? Number(duration[1]) : null,
      ...(ok ? {} : { message: (error || block.trim() || 'failed').slice(0, MAX_MESSAGE) }),
    });
  }
  return summarize(entries.filter((e) => !e.parent).map(({ indent: _i, parent: _p, ...t }) => t));
}

/** Parses JUnit XML (<testsuites>/<testsuite>/<testcase> with <failure>/<error>/<skipped>). */
export function parseJunit(xml: string): TestReport {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['testsuite', 'testcase'].includes(name),
    processEntities: true,
    htmlEntities: true,
  });
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml) as Record<string, unknown>;
  } catch {
    return summarize([
      {
        name: 'test report',
        status: 'failed',
        durationMs: null,
        message: 'the JUnit report is not valid XML',
      },
    ]);
  }
  const suites: Array<Record<string, unknown>> = [];
  const root = (doc.testsuites as Record<string, unknown> | undefined) ?? doc;
  for (const s of (root.testsuite as Array<Record<string, unknown>> | undefined) ?? []) suites.push(s);
  const tests: TestCaseResult[] = [];
  for (const suite of suites) {
    for (const tc of (suite.testcase as Array<Record<string, unknown>> | undefined) ?? []) {
      if (tests.length >= MAX_TESTS) break;
      const failure = (tc.failure ?? tc.error) as Record<string, unknown> | string | undefined;
      const text =
        typeof failure === 'string'
          ? failure
          : failure
            ? String(failure.message ?? failure['#text'] ?? 'failed')
            : undefined;
      const name = [tc.classname, tc.name].filter(Boolean).join('::') || '(unnamed)';
      tests.push({
        name: String(name),
        status: failure !== undefined ? 'failed' : tc.skipped !== undefined ? 'skipped' : 'passed',
        durationMs: tc.time !== undefined ? Math.round(Number(tc.time) * 1000) : null,
        ...(text !== undefined ? { message: text.slice(0, MAX_MESSAGE) } : {}),
      });
    }
  }
  return summarize(tests);
}
