/**
 * Per-test results from a grade command's output: TAP (node --test, vitest) on stdout, or JUnit XML
 * (pytest --junitxml, node's junit reporter, vitest) from a file.
 *
 * Stops: a report that silently says less than it should. Hostile or broken output can only produce
 * a failed or empty report, and every report that is missing, malformed, truncated or lists fewer
 * tests than it declares itself (TAP plan `1..N`, JUnit `tests=` / node's `<!-- tests N -->`) comes
 * back with a `problem` string, so grading can fail it with a clear reason instead of counting what
 * is left. Parsing is bounded (test count, message length) and never evaluates anything; XML with a
 * DOCTYPE (entity expansion) is refused outright, since no test runner writes one.
 */
import { XMLParser } from 'fast-xml-parser';

export interface TestCaseResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  durationMs: number | null;
  message?: string;
  /** Where the report points for this test (a failure's first frame, else the test itself), as printed. */
  location?: TestLocation;
}

/** A file and 1-based line as the runner printed it (an absolute path inside the sandbox, usually). */
export interface TestLocation {
  file: string;
  line: number;
}

export interface TestReport {
  tests: TestCaseResult[];
  passed: number;
  failed: number;
  skipped: number;
  /**
   * Why this report cannot be trusted as complete (missing, unreadable, truncated, fewer tests than
   * declared). Absent when the report is whole. A grade must never be "passed" when it is set.
   */
  problem?: string;
}

const MAX_TESTS = 2000;
const MAX_MESSAGE = 4000;

export function summarize(tests: TestCaseResult[], problem?: string): TestReport {
  const count = (s: TestCaseResult['status']) => tests.filter((t) => t.status === s).length;
  return {
    tests,
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    ...(problem ? { problem } : {}),
  };
}

/** The report of a grade run whose report never appeared (no file, empty stdout). */
export function missingReport(what: string): TestReport {
  return summarize([], `no test report: ${what}`);
}

interface TapEntry extends TestCaseResult {
  indent: number;
  parent: boolean;
}

/** Reads a TAP YAML diagnostic block: node's `error: |-` blocks, vitest's `error: { message }`. */
function tapMessage(yaml: string[]): string | undefined {
  for (let i = 0; i < yaml.length; i++) {
    const m = /^(\s*)error:\s*(.*)$/.exec(yaml[i]!);
    if (!m) continue;
    const inline = m[2]!.trim();
    const deeper: string[] = [];
    for (let j = i + 1; j < yaml.length; j++) {
      const indent = /^(\s*)/.exec(yaml[j]!)![1]!.length;
      if (yaml[j]!.trim() && indent <= m[1]!.length) break;
      deeper.push(yaml[j]!);
    }
    if (inline && !/^[|>][-+]?$/.test(inline)) return inline.replace(/^(['"])(.*)\1$/, '$2');
    const message = deeper.map((l) => /^\s*message:\s*(.*)$/.exec(l)?.[1]).find(Boolean);
    if (message) return message.replace(/^(['"])(.*)\1$/, '$2');
    const text = deeper
      .map((l) => l.trim())
      .join('\n')
      .trim();
    if (text) return text;
  }
  return undefined;
}

/** `path:line[:col]` → location; `file://` URLs become paths. */
function splitLocation(text: string): TestLocation | undefined {
  const m = /^(.+?):(\d+)(?::\d+)?$/.exec(text.trim());
  if (!m) return undefined;
  let file = m[1]!;
  if (file.startsWith('file://')) {
    try {
      file = decodeURIComponent(new URL(file).pathname);
    } catch {
      return undefined;
    }
  }
  return { file: file.slice(0, 500), line: Number(m[2]) };
}

/**
 * A failure's first stack frame outside the runtime and node_modules (node prints `file://` URLs, tsx
 * source-mapped absolute paths), else the test's `location:` (which tsx reports on compiled code).
 */
function tapLocation(yaml: string[]): TestLocation | undefined {
  for (const l of yaml) {
    const frame = /(?:\(|^\s*(?:at\s+)?)((?:file:\/\/)?\/[^\s()]+:\d+:\d+)\)?\s*$/.exec(l);
    if (frame && !frame[1]!.includes('/node_modules/')) return splitLocation(frame[1]!);
  }
  const at = yaml.map((l) => /^\s*location:\s*'?([^']+?)'?\s*$/.exec(l)?.[1]).find(Boolean);
  return at ? splitLocation(at) : undefined;
}

/**
 * Parses TAP 13/14 as node --test and vitest print it. Node prints subtests indented and before
 * their parent, so a test line that follows a deeper-indented one is a parent (a file or describe
 * block); vitest prints the parent first and opens it with `{`. Parents are dropped: the report
 * lists leaf tests. The top-level plan must match the top-level test lines.
 */
export function parseTap(stdout: string): TestReport {
  const lines = stdout.split('\n');
  const entries: TapEntry[] = [];
  const plans: number[] = [];
  let topLevel = 0;
  let trailingPlan = false;
  let afterPlan = false;
  let braces = false;
  let bailOut: string | undefined;
  for (let i = 0; i < lines.length && entries.length < MAX_TESTS; i++) {
    const line = lines[i]!;
    const plan = /^1\.\.(\d+)\b/.exec(line);
    if (plan) {
      plans.push(Number(plan[1]));
      if (topLevel > 0) trailingPlan = true;
      continue;
    }
    if (/^\s*Bail out!/i.test(line)) bailOut ??= line.trim();
    const m = /^(\s*)(not ok|ok)\b\s*(?:\d+)?\s*(?:-\s*)?(.*)$/i.exec(line);
    if (!m) continue;
    const indent = m[1]!.length;
    if (indent === 0) {
      topLevel++;
      // A test line after a closing plan is output glued onto a finished run.
      if (trailingPlan) afterPlan = true;
    }
    let rest = m[3]!;
    const opensBlock = /\s*\{\s*$/.test(rest);
    if (opensBlock) {
      rest = rest.replace(/\s*\{\s*$/, '');
      braces = true;
    }
    // The description ends at the first unescaped " # "; what follows is a directive.
    const hash = /(^|[^\\])\s#\s?/.exec(rest);
    const description = (hash ? rest.slice(0, hash.index + hash[1]!.length) : rest).trim();
    const directive = hash ? rest.slice(hash.index + hash[0].length) : '';
    const skipped = /^(SKIP|TODO)\b/i.test(directive);
    const time = /\btime=([\d.]+)ms/.exec(directive);
    const yaml: string[] = [];
    if (/^\s*---\s*$/.test(lines[i + 1] ?? '')) {
      for (i += 2; i < lines.length && !/^\s*\.\.\.\s*$/.test(lines[i]!); i++) yaml.push(lines[i]!);
    }
    const ok = m[2]!.toLowerCase() === 'ok';
    const duration = /duration_ms:\s*([\d.]+)/.exec(yaml.join('\n'));
    const previous = entries[entries.length - 1];
    const message = ok ? undefined : (tapMessage(yaml) ?? (yaml.join('\n').trim() || 'failed'));
    const location = tapLocation(yaml);
    entries.push({
      indent,
      // vitest opens a parent with "{"; node closes one after its deeper-indented subtests.
      parent: braces ? opensBlock : previous !== undefined && previous.indent > indent,
      name: description.replace(/\\#/g, '#') || '(unnamed)',
      status: skipped ? 'skipped' : ok ? 'passed' : 'failed',
      durationMs: duration ? Number(duration[1]) : time ? Number(time[1]) : null,
      ...(message !== undefined ? { message: message.slice(0, MAX_MESSAGE) } : {}),
      ...(location ? { location } : {}),
    });
  }
  const tests = entries.filter((e) => !e.parent).map(({ indent: _i, parent: _p, ...t }) => t);
  return summarize(tests, tapProblem({ plans, topLevel, afterPlan, bailOut, leaves: tests.length }));
}

function tapProblem(s: {
  plans: number[];
  topLevel: number;
  afterPlan: boolean;
  bailOut: string | undefined;
  leaves: number;
}): string | undefined {
  if (s.bailOut) return `the test run bailed out (${s.bailOut.slice(0, 200)})`;
  if (!s.plans.length && !s.topLevel) return 'no TAP test results in the output';
  if (!s.plans.length) return 'the TAP output has no plan (1..N): the test run stopped before it finished';
  if (s.plans.length > 1) return `the TAP output has ${s.plans.length} plans; a test run prints one`;
  if (s.afterPlan || s.topLevel > s.plans[0]!)
    return `the TAP output lists ${s.topLevel} top-level tests but its plan declares ${s.plans[0]}`;
  if (s.topLevel < s.plans[0]!)
    return `the TAP plan declares ${s.plans[0]} tests but only ${s.topLevel} were reported`;
  if (s.plans[0] === 0 || s.leaves === 0) return 'the test run reported no tests';
  return undefined;
}

type XmlNode = Record<string, unknown> & { '@'?: Record<string, string> };

const asArray = (v: unknown): XmlNode[] =>
  v === undefined ? [] : Array.isArray(v) ? (v as XmlNode[]) : [v as XmlNode];

const attr = (n: XmlNode, name: string): string | undefined => n['@']?.[name];

/** Numbers in `<!-- tests N -->` comments directly inside a node (node --test's junit reporter). */
function commentCount(n: XmlNode): number | undefined {
  for (const c of asArray(n['#comment'])) {
    const m = /^\s*tests\s+(\d+)\s*$/.exec(String(c));
    if (m) return Number(m[1]);
  }
  return undefined;
}

function failureText(f: unknown): string {
  if (typeof f === 'string') return f;
  const n = f as XmlNode;
  return String(attr(n, 'message') ?? n['#text'] ?? 'failed');
}

/**
 * Parses JUnit XML at any depth: `<testsuites>` or a lone `<testsuite>` as root, test cases directly
 * under `<testsuites>` (node's junit reporter) and suites nested in suites (describe blocks).
 */
export function parseJunit(xml: string): TestReport {
  const unreadable = (why: string) =>
    summarize(
      [{ name: 'test report', status: 'failed', durationMs: null, message: `the JUnit report ${why}` }],
      `the JUnit report ${why}`,
    );
  if (!xml.trim()) return unreadable('is empty');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return unreadable('has a DOCTYPE, which no test runner writes');
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    // Attributes apart from children: node writes both failure="…" and <failure>.
    attributesGroupName: '@',
    commentPropName: '#comment',
    isArray: (name) => ['testsuite', 'testcase', '#comment'].includes(name),
    processEntities: true,
    htmlEntities: true,
  });
  let doc: XmlNode;
  try {
    doc = parser.parse(xml, true) as XmlNode;
  } catch {
    return unreadable('is not valid XML');
  }
  const root = (doc.testsuites as XmlNode | undefined) ?? doc;
  if (typeof root !== 'object' || (!root.testsuite && !root.testcase))
    return unreadable('has no <testsuites> or <testsuite> element');

  const tests: TestCaseResult[] = [];
  const walk = (node: XmlNode, depth: number) => {
    if (depth > 64) return;
    for (const tc of asArray(node.testcase)) {
      if (tests.length >= MAX_TESTS) return;
      const failure = tc.failure ?? tc.error;
      const first = Array.isArray(failure) ? failure[0] : failure;
      const text = failure !== undefined ? failureText(first) : undefined;
      const name = [attr(tc, 'classname'), attr(tc, 'name')].filter(Boolean).join('::') || '(unnamed)';
      const time = attr(tc, 'time');
      // pytest's xunit1 family writes file= and a 0-based line=.
      const file = attr(tc, 'file');
      const line = Number(attr(tc, 'line'));
      tests.push({
        name,
        status: failure !== undefined ? 'failed' : tc.skipped !== undefined ? 'skipped' : 'passed',
        durationMs: time !== undefined && time !== '' ? Math.round(Number(time) * 1000) : null,
        ...(text !== undefined ? { message: text.slice(0, MAX_MESSAGE) } : {}),
        ...(file && Number.isInteger(line) && line >= 0
          ? { location: { file: file.slice(0, 500), line: line + 1 } }
          : {}),
      });
    }
    for (const suite of asArray(node.testsuite)) walk(suite, depth + 1);
  };
  walk(root, 0);

  const declared = declaredCount(root);
  let problem: string | undefined;
  if (declared !== undefined && tests.length < declared)
    problem = `the JUnit report declares ${declared} tests but lists only ${tests.length}`;
  else if (!tests.length) problem = 'the JUnit report lists no tests';
  return summarize(tests, problem);
}

/** What the report says it holds: root `tests=`, node's comment, or the sum over top-level suites. */
function declaredCount(root: XmlNode): number | undefined {
  const own = attr(root, 'tests');
  if (own !== undefined && /^\d+$/.test(own)) return Number(own);
  const comment = commentCount(root);
  if (comment !== undefined) return comment;
  const suites = asArray(root.testsuite);
  if (suites.length && suites.every((s) => /^\d+$/.test(attr(s, 'tests') ?? '')))
    return suites.reduce((sum, s) => sum + Number(attr(s, 'tests')), asArray(root.testcase).length);
  return undefined;
}
