/**
 * Replaces monaco-editor internal modules the product never uses with tiny stubs, so they (and
 * everything only they import) drop out of the Monaco chunks.
 *
 * A stub keeps the original module's export names (read from its `export { … }` clause, so every
 * static import still links), but each export is a function that throws if it is ever *called or
 * constructed*. Classes that extend a stubbed class still evaluate (a plain function has a
 * `prototype`), so the only way to hit a stub at run time is to use the removed feature — which the
 * product never does (see the reasons next to each entry in web/vite.config.ts).
 */
import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';

/** Paths under `monaco-editor/esm/vs/`, e.g. `editor/browser/widget/diffEditor/diffEditorWidget.js`. */
export function monacoStubs(paths: readonly string[]): Plugin {
  const wanted = new Set(paths);
  const marker = '/monaco-editor/esm/vs/';
  const hits = new Set<string>();
  return {
    name: 'worksample:monaco-stubs',
    enforce: 'pre',
    apply: 'build',
    load(id) {
      const file = id.split('?')[0]!.replace(/\\/g, '/');
      const at = file.lastIndexOf(marker);
      if (at < 0) return null;
      const rel = file.slice(at + marker.length);
      if (!wanted.has(rel)) return null;
      hits.add(rel);
      return stubFor(rel, readFileSync(file, 'utf8'));
    },
    buildEnd(error) {
      if (error) return;
      // A path that no longer exists (monaco-editor upgrade) must not silently stop stubbing.
      const missed = paths.filter((p) => !hits.has(p));
      if (missed.length)
        this.warn(`monaco stubs never matched (renamed in this monaco-editor?): ${missed.join(', ')}`);
    },
  };
}

function stubFor(rel: string, source: string): string {
  const names = new Set<string>();
  for (const m of source.matchAll(/^export\s*\{([^}]*)\}/gm))
    for (const part of m[1]!.split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop()!
        .trim();
      if (name) names.add(name);
    }
  for (const m of source.matchAll(
    /^export\s+(?:default\s+)?(?:async\s+)?(?:class|function\*?|const|let|var)\s+([\w$]+)/gm,
  ))
    names.add(m[1]!);
  if (/^export\s+\*/m.test(source))
    throw new Error(`monaco stub: ${rel} re-exports (export *); stub it by hand`);
  const lines = [
    `function removed(name) {`,
    `  const f = function () { throw new Error('monaco-editor feature removed from this build: ' + name + ' (${rel})'); };`,
    `  return f;`,
    `}`,
  ];
  for (const n of names)
    lines.push(
      n === 'default'
        ? `export default removed('default');`
        : `export const ${n} = removed(${JSON.stringify(n)});`,
    );
  return lines.join('\n') + '\n';
}
