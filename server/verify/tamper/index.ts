/**
 * The tamper corpus: built-in tampering submissions that `tasks verify` grades against every code
 * task, derived from the task's own starter (its modules, its grade command, its hidden test names).
 *
 * Stops: a grader a candidate can fool. Each case is a standard way to forge an automated score —
 * exiting 0 at import, no-op assertions, pytest hooks and config, interpreter and node_modules
 * hijacks, exit handlers that rewrite the report, fake TAP/JUnit on stdout or on inherited
 * descriptors, killing the parent, a detached process that rewrites files later, reading and
 * rewriting the hidden tests. A case is harmless when its submission grades no better than the
 * starter; a case that scores higher names the tampering that worked.
 *
 * These are real attacks: they walk the filesystem, rewrite files, kill their parent process. Grade
 * them only inside an isolating sandbox (verify refuses to run them on the local driver).
 */
import type { LoadedTask } from '../../tasks/index.ts';
import type { GradeView } from '../../grading-jobs/index.ts';
import { candidateModules, hiddenTestNames, preloadedPackages, starterFiles } from './targets.ts';
import { nodeCases } from './node.ts';
import { pythonCases } from './python.ts';
import type { TamperCase, TamperInput, TamperSubmission } from './types.ts';

export type { TamperSubmission } from './types.ts';
export { fakeJunit, fakeTap } from './forge.ts';

/** Inserts code at the top of a module (after a shebang, and after `from __future__` lines in Python). */
function prependTo(source: string, code: string, env: 'node' | 'python'): string {
  if (!code) return source;
  const lines = source.split('\n');
  let at = lines[0]?.startsWith('#!') ? 1 : 0;
  if (env === 'python') {
    const future = lines.findLastIndex((l) => /^from __future__ import\b/.test(l));
    if (future >= 0) at = future + 1;
  }
  return [...lines.slice(0, at), code, ...lines.slice(at)].join('\n');
}

/**
 * The corpus for a code task: one submission per case, each the starter's files with the attack
 * applied (only files that differ from the starter are listed). Empty for environments it does not
 * know (and for non-code tasks).
 */
export function tamperCorpus(task: LoadedTask): TamperSubmission[] {
  const env = task.manifest.environment;
  if (task.manifest.kind !== 'code' || !env || (env.image !== 'node' && env.image !== 'python')) return [];
  const kind = env.image;
  const starter = starterFiles(task);
  const modules = candidateModules(task, kind);
  const pkg = starter.find((f) => f.path === 'package.json');
  const input: Omit<TamperInput, 'ownFiles'> = {
    names: hiddenTestNames(task),
    reportPath: env.report.format === 'junit' ? env.report.path : undefined,
    preloads: kind === 'node' ? preloadedPackages(env.grade) : [],
    packageJson: (edit) => {
      let current: Record<string, unknown> = {};
      try {
        current = pkg ? (JSON.parse(pkg.content.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        // A starter package.json that does not parse is left to the case's other files.
      }
      return [{ path: 'package.json', content: `${JSON.stringify(edit(current), null, 2)}\n` }];
    },
  };
  const ownFiles = starter.map((f) => f.path);
  const cases: TamperCase[] =
    kind === 'node' ? nodeCases({ ...input, ownFiles }) : pythonCases({ ...input, ownFiles });
  return cases.map((c) => {
    const files = new Map<string, Buffer>();
    if (c.prepend)
      for (const m of modules) {
        const source = starter.find((f) => f.path === m)!.content.toString('utf8');
        files.set(m, Buffer.from(prependTo(source, c.prepend, kind)));
      }
    for (const x of c.extra ?? []) files.set(x.path, Buffer.from(x.content));
    return { id: c.id, title: c.title, files: [...files].map(([path, content]) => ({ path, content })) };
  });
}

/** The verdict of one case: harmless when it grades no better than the starter. */
export function judgeTamper(
  c: Pick<TamperSubmission, 'id' | 'title'>,
  grade: GradeView | undefined,
  starter: GradeView | undefined,
): { ok: boolean; detail: string } {
  if (!starter || starter.status !== 'done')
    return {
      ok: false,
      detail: `cannot compare: the starter was not graded (${starter?.error ?? starter?.status ?? 'no grade'})`,
    };
  if (!grade || grade.status !== 'done') {
    // A grade that errored scored nothing; it is no better than the starter.
    return { ok: true, detail: `resisted: not graded (${grade?.error ?? grade?.status ?? 'no grade'})` };
  }
  const summary = `${grade.passed} passed, ${grade.failed} failed (verdict ${grade.verdict}); starter ${starter.passed} passed`;
  if (grade.verdict === 'passed' || grade.passed > starter.passed)
    return { ok: false, detail: `TAMPERING WORKED: ${c.title} — ${summary}` };
  return { ok: true, detail: `resisted: ${summary}` };
}
