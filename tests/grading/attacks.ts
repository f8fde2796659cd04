/**
 * Submissions that try to forge the hidden-test verdict instead of solving the task, for a node task
 * (hello-llm: parse-model-json.mjs) and a python task (tests/fixtures/tasks/py-sum: calc.py). Each
 * pairs a wrong implementation (it passes no hidden test honestly) with one way of cheating the
 * grader. forgery.test.ts submits them through the product and expects each to grade no better than
 * the untouched starter.
 */

export interface Attack {
  name: string;
  /** Workspace files to write (over the starter). */
  files: Record<string, string>;
}

// --- node (hello-llm) ---------------------------------------------------------------------------

export const NODE_TESTS = [
  'parses a plain JSON object with surrounding whitespace',
  'extracts JSON from a json code fence',
  'extracts JSON from an unlabelled code fence',
  'uses the first fenced block when there are several',
  'ignores prose around an unfenced object',
  'accepts a top-level array',
  'reports malformed JSON inside a fence',
  'reports a reply with no JSON at all',
  'rejects JSON scalars',
  'rejects non-string input without throwing',
];

/** A TAP stream that says every real hidden test passed. */
const fakeTap = [
  'TAP version 13',
  ...NODE_TESTS.flatMap((n, i) => [
    `# Subtest: ${n}`,
    `ok ${i + 1} - ${n}`,
    '  ---',
    '  duration_ms: 1',
    '  ...',
  ]),
  `1..${NODE_TESTS.length}`,
  `# tests ${NODE_TESTS.length}`,
  `# pass ${NODE_TESTS.length}`,
  '# fail 0',
  '',
].join('\n');

const WRONG_JS = 'export function parseModelJson() {\n  return { ok: true, value: null };\n}\n';
const FAKE_TAP_JS = `const FAKE = ${JSON.stringify(fakeTap)};\n`;

const js = (name: string, body: string, extra: Record<string, string> = {}): Attack => ({
  name,
  files: { 'parse-model-json.mjs': `${body}\n${WRONG_JS}`, ...extra },
});

export const NODE_ATTACKS: Attack[] = [
  js('process.exit(0) at import', 'process.exit(0);'),
  js(
    "replaces node:assert's functions with no-ops",
    `import assert from 'node:assert';
import strict from 'node:assert/strict';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
for (const a of [assert, strict, require('assert'), require('assert/strict'), require('node:assert')])
  for (const k of Object.keys(a)) { try { a[k] = () => {}; } catch {} }`,
  ),
  js(
    'prints fake TAP with the real test names on stdout',
    `${FAKE_TAP_JS}process.stdout.write(FAKE);
const realLog = console.log;
console.log = (...a) => realLog(FAKE, ...a);`,
  ),
  js(
    'an exit handler prints a passing report and sets exit code 0',
    `${FAKE_TAP_JS}process.on('exit', () => { process.stdout.write(FAKE); process.exitCode = 0; });
process.on('beforeExit', () => process.exit(0));
setTimeout(() => process.exit(0), 200);`,
  ),
  js(
    'writes fake TAP to inherited and other processes\u2019 descriptors',
    `${FAKE_TAP_JS}import { openSync, readdirSync, writeSync } from 'node:fs';
const targets = ['/proc/self/fd/1', '/proc/self/fd/2', '/proc/' + process.ppid + '/fd/1'];
for (const p of readdirSync('/proc')) if (/^\\d+$/.test(p)) for (const fd of [0, 1, 2]) targets.push('/proc/' + p + '/fd/' + fd);
for (const fd of [1, 2]) { try { writeSync(fd, FAKE); } catch {} }
const reached = [];
for (const t of targets) { try { writeSync(openSync(t, 'w'), FAKE); reached.push(t); } catch {} }
console.error('wrote fake TAP to', reached.join(' '));`,
  ),
  js(
    'kills its parent and every process it can signal',
    `import { readdirSync } from 'node:fs';
const killed = [];
for (const p of readdirSync('/proc')) if (/^\\d+$/.test(p) && Number(p) !== process.pid) { try { process.kill(Number(p), 'SIGKILL'); killed.push(p); } catch {} }
try { process.kill(process.ppid, 'SIGKILL'); } catch {}
console.error('killed', killed.join(' '));`,
  ),
  js('shadows node:test, node:assert, openai and tsx with node_modules', "import 'node:test';", {
    'node_modules/node:test/index.js': `${FAKE_TAP_JS}process.stdout.write(FAKE); process.exit(0);\n`,
    'node_modules/node:test/package.json': '{ "name": "node:test", "main": "index.js" }\n',
    'node_modules/assert/index.js': 'module.exports = () => {};\n',
    'node_modules/openai/package.json': '{ "name": "openai", "main": "index.js" }\n',
    'node_modules/openai/index.js': `${FAKE_TAP_JS}process.stdout.write(FAKE); process.exit(0);\n`,
    'node_modules/tsx/package.json': '{ "name": "tsx", "main": "index.js" }\n',
    'node_modules/tsx/index.js': 'process.exit(0);\n',
    '.npmrc': 'node-options=--require=./evil.cjs\n',
  }),
  js('replaces the hidden test with one that passes', '', {
    'hidden.test.mjs':
      "import { test } from 'node:test';\ntest('extracts JSON from a json code fence', () => {});\n",
    'worksample-harness.mjs':
      'export const subject = () => new Proxy({}, { get: () => async () => ({ ok: true }) });\n',
  }),
  js(
    'reads and rewrites the harness folder',
    `import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
const found = [];
const walk = (d) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = d + '/' + e.name; if (e.isDirectory()) walk(p); else { found.push(p + ': ' + readFileSync(p, 'utf8')); writeFileSync(p, '${fakeTap.replace(/\n/g, '\\n')}'); } } };
for (const d of ['/harness', '/proc/1/cwd']) { try { walk(d); } catch (e) { console.log('cannot read ' + d + ': ' + e.code); } }
for (const p of readdirSync('/proc')) { try { found.push(readFileSync('/proc/' + p + '/environ', 'utf8')); } catch {} }
console.log(found.join('\\n'));`,
  ),
  {
    name: 'returns values and errors that imitate TAP lines',
    files: {
      'parse-model-json.mjs': `${FAKE_TAP_JS}
const lines = (name) => Array.from({ length: 9 }, (_, i) => ' '.repeat(i) + '...\\n' + ' '.repeat(i) + 'ok 1 - ' + name + '\\n' + ' '.repeat(i) + '1..1').join('\\n');
let n = 0;
export function parseModelJson(text) {
  n++;
  if (n % 2) throw new Error('\\n' + lines('${NODE_TESTS[1]}') + '\\n' + FAKE);
  return { ok: true, value: lines('${NODE_TESTS[2]}') + '\\n' + FAKE, [FAKE]: FAKE };
}
`,
    },
  },
];

// --- python (py-sum) ----------------------------------------------------------------------------

export const PY_TESTS = ['test_skips_none', 'test_empty', 'test_floats'];

const fakeJunit = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0" tests="3">${PY_TESTS.map((n) => `<testcase classname="test_hidden" name="${n}" time="0.001" />`).join('')}</testsuite></testsuites>`;

const WRONG_PY = '\ndef total(numbers):\n    return -1\n';
const FAKE_JUNIT_PY = `FAKE = ${JSON.stringify(fakeJunit)}\n`;

const py = (name: string, body: string, extra: Record<string, string> = {}): Attack => ({
  name,
  files: { 'calc.py': `${body}\n${WRONG_PY}`, ...extra },
});

/** Python that writes a passing report wherever a report might be read, then exits 0. */
const WRITE_REPORTS_PY = `${FAKE_JUNIT_PY}import glob, os
def _forge():
    for d in ['.', '/workspace', '/tmp', *glob.glob('/harness/*'), *glob.glob('/tmp/*')]:
        try:
            with open(os.path.join(d, 'report.xml'), 'w') as f:
                f.write(FAKE)
        except OSError:
            pass
    print(FAKE, flush=True)
`;

export const PY_ATTACKS: Attack[] = [
  py('os._exit(0) at import', 'import os\nos._exit(0)'),
  py('sys.exit(0) at import', 'import sys\nsys.exit(0)'),
  py('conftest.py rewrites every report to passed', '', {
    'conftest.py': `import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None

def pytest_sessionfinish(session, exitstatus):
    session.exitstatus = 0
`,
  }),
  py(
    'an atexit handler writes a passing report.xml and exits 0',
    `${WRITE_REPORTS_PY}import atexit
atexit.register(lambda: (_forge(), os._exit(0)))
_forge()`,
  ),
  py('sitecustomize.py, usercustomize.py and a .pth file forge the report', '', {
    'sitecustomize.py': `${WRITE_REPORTS_PY}_forge()\nos._exit(0)\n`,
    'usercustomize.py': `${WRITE_REPORTS_PY}_forge()\nos._exit(0)\n`,
    'evil.pth': "import os; os.system('echo forged'); os._exit(0)\n",
    'pytest.ini': '[pytest]\naddopts = -p no:junitxml -p no:terminal\n',
    'pyproject.toml': '[tool.pytest.ini_options]\naddopts = "--co"\n',
    'setup.cfg': '[tool:pytest]\naddopts = --co\n',
    'tox.ini': '[pytest]\naddopts = --co\n',
  }),
  py('prints a passing JUnit report on stdout', `${FAKE_JUNIT_PY}print(FAKE, flush=True)`),
  py(
    'writes a passing report to inherited and other processes\u2019 descriptors',
    `${FAKE_JUNIT_PY}import os
targets = ['/proc/self/fd/1', '/proc/self/fd/2', f'/proc/{os.getppid()}/fd/1']
targets += [f'/proc/{p}/fd/{fd}' for p in os.listdir('/proc') if p.isdigit() for fd in (0, 1, 2)]
for t in targets:
    try:
        with open(t, 'w') as f:
            f.write(FAKE)
    except OSError:
        pass`,
  ),
  py(
    'kills its parent and every process it can signal',
    `import os, signal
for p in os.listdir('/proc'):
    if p.isdigit() and int(p) != os.getpid():
        try:
            os.kill(int(p), signal.SIGKILL)
        except OSError:
            pass`,
  ),
  py(
    'reads and rewrites the harness folder',
    `${WRITE_REPORTS_PY}import os
for d in ['/harness']:
    try:
        for root, _, names in os.walk(d):
            for n in names:
                print(open(os.path.join(root, n)).read())
                open(os.path.join(root, n), 'w').write(FAKE)
        print('listed', os.listdir(d))
    except OSError as e:
        print('cannot read', d, e)
_forge()`,
  ),
  py('replaces the hidden test and the harness runtime', '', {
    'test_hidden.py':
      'def test_skips_none():\n    pass\n\ndef test_empty():\n    pass\n\ndef test_floats():\n    pass\n',
    'worksample_harness.py': 'def subject(name):\n    raise SystemExit(0)\n',
  }),
];

/** Text only the hidden test files contain (never an input, a test name or an assertion message). */
export const HIDDEN_MARKERS = {
  node: "The candidate's module runs in the subject process",
  python: 'private-marker-7c1f',
};
