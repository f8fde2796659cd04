/**
 * The grade's verdict, from the harness's own stdout only. Stops forged and truncated verdicts: the
 * report is read from between nonce-marked lines that the harness prints after its test runner ends
 * (the candidate's uid cannot write that stream, and the nonce travels on the harness's stdin), the
 * subject's exit code and output are never consulted, and a report that is missing, malformed, ends
 * early or reads differently to a strict parser (a test's output imitating TAP lines) fails the grade
 * with a reason instead of counting what it claims.
 */
import { XMLParser } from 'fast-xml-parser';
import { parseJunit, parseTap, summarize, type TestReport } from '../report.ts';
import type { ExecResult, Verdict } from '../../sandbox/index.ts';

export type GradeVerdict = 'passed' | 'failed' | Exclude<Verdict, 'ok' | 'error'>;

export interface Frame {
  /** The test runner's exit code (null when it could not start). */
  exitCode: number | null;
  /** The report: TAP text or JUnit XML; undefined when the runner wrote none. */
  body?: string;
  /** Why the runner could not start, when it could not. */
  error?: string;
  /** The harness's stdout without the frame (the runner's console output). */
  console: string;
}

const marker = (nonce: string) => `\n@@worksample-report ${nonce} `;

/** The last frame marked with `nonce` in the harness's stdout, or undefined when there is none. */
export function readFrame(stdout: string, nonce: string): Frame | undefined {
  const start = stdout.lastIndexOf(marker(nonce));
  if (start < 0) return undefined;
  const headEnd = stdout.indexOf('\n', start + 1);
  const end = `\n@@worksample-report-end ${nonce}\n`;
  const endAt = stdout.indexOf(end, headEnd);
  if (headEnd < 0 || endAt < 0) return undefined;
  const head = new Map(
    stdout
      .slice(start + marker(nonce).length, headEnd)
      .split(' ')
      .map((kv) => kv.split('=', 2) as [string, string]),
  );
  const b64 = stdout.slice(headEnd + 1, endAt);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return undefined;
  const exit = head.get('exit');
  const bytes = head.get('bytes');
  const body = bytes === undefined ? undefined : Buffer.from(b64, 'base64');
  if (body && body.length !== Number(bytes)) return undefined;
  const error = head.get('error');
  return {
    exitCode: exit === undefined || exit === 'none' ? null : Number(exit),
    ...(body ? { body: body.toString('utf8') } : {}),
    ...(error ? { error: decodeURIComponent(error) } : {}),
    console: stdout.slice(0, start) + stdout.slice(endAt + end.length),
  };
}

const TEST_POINT = /^(\s*)(not ok|ok)\s+\d+(?:\s+-)?\s*(.*?)(?:\s+#\s*(SKIP|TODO)\b.*)?$/i;

/**
 * Why a TAP stream (as node --test prints it) is incomplete or ambiguous, or undefined. Walks it
 * strictly — a YAML block ends only at `...` with its own indentation, every block of tests ends in a
 * plan `1..N` that matches the tests in it, the top level has a plan — and compares the leaf tests
 * with what parseTap read.
 */
export function tapProblem(tap: string, report: TestReport): string | undefined {
  const lines = tap.split('\n');
  const counts = new Map<number, number>();
  const points: Array<{ indent: number; name: string; status: string }> = [];
  let topPlan = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const point = TEST_POINT.exec(line);
    if (point) {
      const indent = point[1]!.length;
      for (const [depth, n] of counts)
        if (depth > indent && n > 0) return `${n} nested tests before "${point[3]}" have no plan`;
      counts.set(indent, (counts.get(indent) ?? 0) + 1);
      const ok = point[2]!.toLowerCase() === 'ok';
      points.push({
        indent,
        name: point[3]!.trim().replace(/\\#/g, '#') || '(unnamed)',
        status: point[4] ? 'skipped' : ok ? 'passed' : 'failed',
      });
      const yaml = /^(\s*)---\s*$/.exec(lines[i + 1] ?? '');
      if (yaml) {
        const close = `${yaml[1]}...`;
        for (i += 2; i < lines.length && lines[i]!.replace(/\s+$/, '') !== close; i++);
        if (i >= lines.length) return `the details of "${point[3]}" never end`;
      }
      continue;
    }
    const plan = /^(\s*)1\.\.(\d+)\s*(?:#.*)?$/.exec(line);
    if (plan) {
      const indent = plan[1]!.length;
      const planned = Number(plan[2]);
      const seen = counts.get(indent) ?? 0;
      if (seen !== planned) return `the plan says ${planned} tests but ${seen} reported`;
      counts.set(indent, 0);
      if (indent === 0) topPlan = true;
    }
  }
  if (!topPlan) return 'the TAP stream has no final plan: the test run did not finish';
  for (const [, n] of counts) if (n > 0) return `${n} tests were reported after the final plan`;
  const leaves = points.filter((p, i) => !(i > 0 && points[i - 1]!.indent > p.indent));
  const strict = leaves.map((p) => `${p.status} ${p.name}`).join('\n');
  const parsed = report.tests.map((t) => `${t.status} ${t.name}`).join('\n');
  if (strict !== parsed)
    return 'the TAP report reads two ways (a test output imitates TAP lines); none of its results count';
  return undefined;
}

/** Why a JUnit report lists fewer tests than it declares, or undefined. */
export function junitProblem(xml: string, report: TestReport): string | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (name) => name === 'testsuite',
    }).parse(xml) as Record<string, unknown>;
  } catch {
    return 'the JUnit report is not valid XML';
  }
  const root = doc.testsuites as Record<string, unknown> | undefined;
  const suites = ((root ?? doc).testsuite as Array<Record<string, unknown>> | undefined) ?? [];
  let declared: number | undefined;
  if (root && root.tests !== undefined) declared = Number(root.tests);
  else if (suites.some((s) => s.tests !== undefined))
    declared = suites.reduce((n, s) => n + Number(s.tests ?? 0), 0);
  if (declared !== undefined && !Number.isFinite(declared))
    return 'the JUnit report declares no valid test count';
  if (declared !== undefined && declared !== report.tests.length)
    return `the JUnit report declares ${declared} tests but lists ${report.tests.length}`;
  return undefined;
}

export interface HarnessVerdict {
  verdict: GradeVerdict;
  report: TestReport;
  error: string | null;
  /** What staff see as the hidden tests' output. */
  console: string;
}

/** The verdict from the harness exec's result: only its framed report counts. */
export function harnessVerdict(result: ExecResult, format: 'tap' | 'junit', nonce: string): HarnessVerdict {
  const frame = readFrame(result.stdout.text, nonce);
  const empty = summarize([]);
  if (result.verdict !== 'ok' && result.verdict !== 'error') {
    return {
      verdict: result.verdict,
      report: frame?.body ? parse(format, frame.body) : empty,
      error: `the hidden tests did not finish (${result.verdict})`,
      console: frame?.console ?? result.stdout.text,
    };
  }
  if (!frame)
    return {
      verdict: 'failed',
      report: empty,
      error: `the grading harness delivered no report (exit code ${result.exitCode ?? 'none'})`,
      console: result.stdout.text,
    };
  const shown = format === 'tap' && frame.body ? frame.body : frame.console;
  if (frame.error)
    return {
      verdict: 'failed',
      report: empty,
      error: `the grade command could not start: ${frame.error}`,
      console: shown,
    };
  if (frame.body === undefined)
    return {
      verdict: 'failed',
      report: empty,
      error: `the grade command wrote no ${format === 'tap' ? 'TAP output' : 'JUnit report'} (exit code ${frame.exitCode ?? 'none'})`,
      console: shown,
    };
  const report = parse(format, frame.body);
  const problem =
    (format === 'tap' ? tapProblem(frame.body, report) : junitProblem(frame.body, report)) ??
    (report.tests.length === 0 ? 'no hidden test ran' : undefined);
  // A TAP stream with any structural problem may have been shaped by test output: none of it counts
  // (staff still see it). A JUnit report is unambiguous XML, so what it lists stays visible.
  if (problem)
    return { verdict: 'failed', report: format === 'tap' ? empty : report, error: problem, console: shown };
  const passed = report.failed === 0 && report.passed > 0 && frame.exitCode === 0;
  return {
    verdict: passed ? 'passed' : 'failed',
    report,
    error:
      report.failed === 0 && frame.exitCode !== 0
        ? `the grade command exited with code ${frame.exitCode ?? 'none'} although no test failed`
        : null,
    console: shown,
  };
}

/** The harness's TAP reporter writes messages as JSON strings; staff read them unescaped. */
function unescapeMessages(report: TestReport): TestReport {
  const tests = report.tests.map((t) => {
    if (t.message === undefined) return t;
    try {
      return { ...t, message: JSON.parse(`"${t.message}"`) as string };
    } catch {
      return t;
    }
  });
  return { ...report, tests };
}

const parse = (format: 'tap' | 'junit', body: string) =>
  format === 'tap' ? unescapeMessages(parseTap(body)) : parseJunit(body);
