/**
 * Which candidate files enter the grading container. Stops runtime-config hijacks: files that a
 * runtime or test runner picks up by name and runs or obeys before (or instead of) the code staff
 * review — `conftest.py` hooks that rewrite reports, `sitecustomize.py`/`usercustomize.py`/`*.pth`
 * that run at interpreter start, pytest/tox/setuptools config, `.npmrc`, a `node_modules/` that
 * shadows a package, compiled Python (`__pycache__/`, `*.pyc`, `*.so`) that would run instead of the
 * `.py` a reviewer reads, files named like a hidden test, and anything at the bridge's own
 * `.worksample*` paths. The harness never reads /workspace, so this is defence in depth for the
 * subject; it also keeps the graded code equal to the code staff see.
 */
import path from 'node:path/posix';

const RUNTIME_CONFIG = new Set([
  'conftest.py',
  'pytest.ini',
  'tox.ini',
  'setup.cfg',
  'pyproject.toml',
  'sitecustomize.py',
  'usercustomize.py',
  '.npmrc',
  '.pythonrc.py',
]);

/** Why `file` stays out of the grading container, or undefined when it goes in. */
export function excludedReason(file: string, hiddenTests: readonly string[] = []): string | undefined {
  const segments = file.split('/');
  const base = segments[segments.length - 1]!;
  if (segments.some((s) => s.startsWith('.worksample'))) return 'reserved for the grading bridge';
  if (segments.includes('node_modules')) return 'node_modules could shadow a package';
  if (segments.includes('__pycache__') || /\.(pyc|pyo|so)$/.test(base))
    return 'compiled code would run instead of the reviewed source';
  if (RUNTIME_CONFIG.has(base)) return 'runtime or test-runner configuration';
  if (base.endsWith('.pth')) return 'a .pth file runs code at interpreter start';
  if (hiddenTests.some((h) => path.basename(h) === base)) return 'named like a hidden test';
  return undefined;
}

/** Splits workspace files into those copied into the grading container and those left out (with why). */
export function cleanSlate<T extends { path: string }>(
  files: readonly T[],
  hiddenTests: readonly string[],
): { kept: T[]; dropped: Array<{ path: string; reason: string }> } {
  const kept: T[] = [];
  const dropped: Array<{ path: string; reason: string }> = [];
  for (const f of files) {
    const reason = excludedReason(f.path, hiddenTests);
    if (reason) dropped.push({ path: f.path, reason });
    else kept.push(f);
  }
  return { kept, dropped };
}
