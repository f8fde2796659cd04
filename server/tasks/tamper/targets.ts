/** What a tampering submission aims at, read from the task package: the modules and test names. */
import path from 'node:path';
import type { LoadedTask } from '../load.ts';

const NODE_SOURCE = /\.(?:[cm]?js|[cm]?ts)$/;
const NODE_TEST = /(?:^|[./_-])test\.[cm]?[jt]s$|(?:^|\/)test-[^/]*$|\.spec\.[cm]?[jt]s$/;
const PY_TEST = /(?:^|\/)test_[^/]*\.py$|_test\.py$/;

/** The starter's files as the candidate's workspace holds them (starter/x → x). */
export function starterFiles(task: LoadedTask): Array<{ path: string; content: Buffer }> {
  return task.files
    .filter((f) => f.path.startsWith('starter/'))
    .map((f) => ({ path: f.path.slice('starter/'.length), content: f.content }));
}

/**
 * The candidate modules a test run loads: every starter source file that is not a test, not the
 * demo entry point (the `run` command's script) and not a declaration file. Tampering code goes
 * into each of them, so it runs whichever of them the hidden tests (or a harness's subject) import.
 */
export function candidateModules(task: LoadedTask, env: 'node' | 'python'): string[] {
  const run = task.manifest.environment?.run ?? [];
  const entry = new Set(run.filter((a) => !a.startsWith('-')).map((a) => path.posix.normalize(a)));
  return starterFiles(task)
    .map((f) => f.path)
    .filter((p) =>
      env === 'python' ? p.endsWith('.py') && !PY_TEST.test(p) : NODE_SOURCE.test(p) && !NODE_TEST.test(p),
    )
    .filter((p) => !entry.has(p) && !p.endsWith('.d.ts') && !p.includes('node_modules/'))
    .filter((p) => !/(?:^|\/)(?:conftest|setup)\.py$/.test(p));
}

/**
 * The hidden tests' names as a report would list them, so forged reports look real: node test
 * titles (`test('…')`, `it('…')`), pytest `module::function` (JUnit classname::name).
 */
export function hiddenTestNames(task: LoadedTask): Array<{ suite: string; name: string }> {
  const names: Array<{ suite: string; name: string }> = [];
  for (const f of task.files.filter((x) => x.path.startsWith('tests/'))) {
    const text = f.content.toString('utf8');
    const base = path.posix.basename(f.path);
    if (base.endsWith('.py')) {
      const suite = base.replace(/\.py$/, '');
      for (const m of text.matchAll(/^(?:async\s+)?def\s+(test_\w+)\s*\(/gm))
        names.push({ suite, name: m[1]! });
    } else if (NODE_SOURCE.test(base)) {
      for (const m of text.matchAll(/\b(?:test|it)\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g))
        names.push({ suite: 'test', name: m[2]!.replace(/\\(.)/g, '$1') });
    }
  }
  return names.length ? names : [{ suite: 'test_hidden', name: 'test_hidden' }];
}

/** Bare packages the grade command preloads (`--import tsx`, `-r x`, `--loader x`). */
export function preloadedPackages(argv: readonly string[]): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    const inline = /^--(?:import|require|loader|experimental-loader)=(.+)$/.exec(a)?.[1];
    const next = ['--import', '--require', '-r', '--loader', '--experimental-loader'].includes(a)
      ? argv[i + 1]
      : undefined;
    const spec = inline ?? next;
    if (spec && !spec.startsWith('.') && !spec.startsWith('/') && !spec.startsWith('node:')) out.push(spec);
  });
  return [...new Set(out)];
}
