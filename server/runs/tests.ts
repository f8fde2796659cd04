/**
 * `Run tests`: which files run and how their results are read.
 *
 * Stops: a candidate steering the test command through file names. Their own test files (the task's
 * `tests.candidate` globs) are appended to the author's argv as `./path`, so a file named
 * `--import=evil.test.ts` or `-p evil.test.py` is a path, never an option. Only workspace files can
 * match; hidden tests are never in the run sandbox (they exist only in the grading harness), so no
 * name or glob can make them run, and files at the grading bridge's `.worksample*` paths or in
 * `node_modules/` never run as tests.
 */
import type { TaskManifest } from '../tasks/index.ts';
import { parseJunit, parseTap, type TestReport } from '../grading/index.ts';
import { pathProblem } from '../workspace/index.ts';

type Env = NonNullable<TaskManifest['environment']>;

/** Where a python test run writes its JUnit report, inside the run's sandbox workspace. */
export const REPORT_DIR = '.worksample-run';

/** `**` any folders, `*` within one folder, `?` one character; the rest is literal. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:[^/]+/)*';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The candidate's own test files: workspace paths matching a glob, minus visible and reserved ones. */
export function candidateTests(manifest: TaskManifest, paths: readonly string[]): string[] {
  const globs = manifest.tests.candidate.map(globToRegExp);
  if (!globs.length) return [];
  const visible = new Set(manifest.tests.visible);
  return paths
    .filter((p) => !visible.has(p) && !pathProblem(p))
    .filter((p) => !p.split('/').some((s) => s.startsWith('.worksample') || s === 'node_modules'))
    .filter((p) => globs.some((g) => g.test(p)))
    .sort();
}

const isPytest = (argv: readonly string[]) =>
  /(^|\/)pytest$/.test(argv[0] ?? '') || (argv[1] === '-m' && argv[2] === 'pytest');

/**
 * The argv of a `Run tests` run: the task's test command with a machine-readable reporter (TAP for
 * node --test, JUnit into REPORT_DIR for pytest) and the candidate's own test files appended.
 */
export function testArgv(env: Env, manifest: TaskManifest, paths: readonly string[], runId: string) {
  const argv = [...env.test];
  let junit: string | undefined;
  const at = argv.indexOf('--test');
  if (at >= 0 && !argv.some((a) => a.startsWith('--test-reporter')))
    argv.splice(at + 1, 0, '--test-reporter=tap');
  else if (isPytest(argv)) {
    junit = `${REPORT_DIR}/${runId}.xml`;
    argv.push(`--junitxml=${junit}`, '-o', 'junit_family=xunit1');
  }
  // A file the author's command already names runs once.
  const own = candidateTests(manifest, paths)
    .filter((p) => !env.test.includes(p) && !env.test.includes(`./${p}`))
    .map((p) => `./${p}`);
  return { argv: [...argv, ...own], junit };
}

/**
 * Reads the results of a finished test run: TAP from stdout, or the JUnit file it wrote. Locations
 * become workspace paths (the longest workspace file the printed path ends with, whatever folder the
 * driver ran in); one that names no workspace file is dropped.
 */
export function testReport(
  kind: 'tap' | 'junit',
  text: string | undefined,
  paths: readonly string[],
): TestReport {
  const report = kind === 'tap' ? parseTap(text ?? '') : parseJunit(text ?? '');
  const byLength = [...paths].sort((a, b) => b.length - a.length);
  return {
    ...report,
    tests: report.tests.map(({ location, ...rest }) => {
      const file = location && byLength.find((p) => location.file === p || location.file.endsWith(`/${p}`));
      return file ? { ...rest, location: { file, line: location.line } } : rest;
    }),
  };
}
