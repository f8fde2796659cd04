/**
 * Fast TypeScript Runs (`environment.compile: esbuild`): the server compiles the candidate's
 * TypeScript with esbuild on the host, writes the JavaScript into a hidden build folder of the
 * sandbox, and runs `node --enable-source-maps` on it instead of `node --import tsx` (whose loader
 * worker and esbuild start-up cost most of a Run's time to first output on Node 20).
 *
 * Stops: candidate source reading the server's files through the compiler. esbuild runs here, on the
 * host, over code the candidate wrote, so it never touches the disk: every import is resolved by the
 * plugin below against the attempt's workspace files held in memory (a namespace esbuild has no file
 * system for, so no tsconfig/package.json lookups either); a relative import that leaves the
 * workspace or names no workspace file is a compile error, and bare specifiers (`openai`,
 * `node:test`) stay imports that node resolves inside the sandbox.
 */
import path from 'node:path';
import * as esbuild from 'esbuild';
import type { SandboxFile } from '../sandbox/index.ts';
import { compilableArgv } from '../tasks/index.ts';
import { pathProblem } from '../workspace/index.ts';

/** The sandbox folder the compiled entries go to (never a workspace file; tests never match it). */
export const BUILD_DIR = '.worksample-build';

const NS = 'workspace';
const SCRIPT = /\.(?:[cm]?tsx?|[cm]?jsx?|json)$/;
const TS_ENTRY = /\.(?:[cm]?tsx?|[cm]?jsx?)$/;
/** node options whose value is the next argument (so it is not taken for the script). */
const VALUED = new Set([
  '--import',
  '--require',
  '-r',
  '--loader',
  '--experimental-loader',
  '--conditions',
  '-C',
  '--test-reporter',
  '--test-reporter-destination',
  '--test-name-pattern',
  '--test-skip-pattern',
  '--input-type',
]);

const isTsxImport = (argv: readonly string[], i: number) =>
  argv[i] === '--import=tsx' || (argv[i] === '--import' && argv[i + 1] === 'tsx');

export interface CompilePlan {
  /** What runs in the sandbox: tsx dropped, source maps on, each entry replaced by its build. */
  argv: string[];
  /** Workspace entry → its compiled file in BUILD_DIR. */
  entries: Array<{ source: string; output: string }>;
}

/**
 * The argv that runs the compiled entries instead of `node --import tsx`: the script (with `--test`,
 * every file argument) that names a workspace file is replaced by its build. Undefined when argv is
 * not `node --import tsx …` or names a script the workspace lacks (the task's own command then runs,
 * and node reports the missing file as usual).
 */
export function compilePlan(argv: readonly string[], paths: ReadonlySet<string>): CompilePlan | undefined {
  if (!compilableArgv(argv)) return undefined;
  const isTest = argv.includes('--test');
  const out = ['node', '--enable-source-maps'];
  const entries: CompilePlan['entries'] = [];
  let script = false; // past the script: the rest are the program's own arguments
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (isTsxImport(argv, i)) {
      if (a === '--import') i++;
      continue;
    }
    if (script || a.startsWith('-')) {
      out.push(a);
      if (!script && VALUED.has(a) && i + 1 < argv.length) out.push(argv[++i]!);
      continue;
    }
    const source = path.posix.normalize(a);
    if (!TS_ENTRY.test(source) || !paths.has(source)) return undefined;
    const output = `${BUILD_DIR}/${source.replace(TS_ENTRY, '.mjs')}`;
    // A name at the length or depth limit has no room for the build folder: tsx runs it instead.
    if (pathProblem(output)) return undefined;
    if (!entries.some((e) => e.source === source)) entries.push({ source, output });
    out.push(`./${output}`);
    if (!isTest) script = true;
  }
  return entries.length ? { argv: out, entries } : undefined;
}

/** Starts esbuild's service process ahead of the first compile (it costs ~0.1–0.2 s once per server). */
export function warmCompiler(): void {
  esbuild.transform('', {}).catch(() => {});
}

/** The workspace files a compile may read: scripts and JSON (what `import` can load). */
export const isCompileInput = (p: string) => SCRIPT.test(p) && !p.split('/').includes('node_modules');

export type CompileResult = { ok: true; files: SandboxFile[] } | { ok: false; message: string };

const loaderFor = (p: string): esbuild.Loader =>
  p.endsWith('.json')
    ? 'json'
    : /\.[cm]?tsx$/.test(p)
      ? 'tsx'
      : /\.[cm]?ts$/.test(p)
        ? 'ts'
        : /x$/.test(p)
          ? 'jsx'
          : 'js';

/** `./x.js` may name `x.ts` (TypeScript's convention); an extensionless import tries each extension. */
function resolveIn(files: ReadonlyMap<string, string>, wanted: string): string | undefined {
  const swapped = wanted.replace(/\.([cm]?)js(x?)$/, '.$1ts$2');
  const exts = ['.ts', '.tsx', '.mts', '.js', '.mjs', '.jsx', '.json'];
  const tries = [wanted, swapped, ...exts.map((e) => wanted + e), ...exts.map((e) => `${wanted}/index${e}`)];
  return tries.find((p) => files.has(p));
}

/**
 * Bundles each entry with its workspace imports (packages stay external) into `BUILD_DIR`, with an
 * inline source map whose sources are the candidate's files relative to the output, so stack traces
 * and test locations name `src/x.ts:line`. `import.meta.url` / `dirname` / `filename` keep naming
 * each module's own file under `workspacePath`. Type errors never block (esbuild does not check
 * types, like tsx); syntax and resolution errors come back as one readable message.
 */
export async function compileEntries(
  entries: CompilePlan['entries'],
  files: ReadonlyMap<string, string>,
  workspacePath: string,
): Promise<CompileResult> {
  const built: SandboxFile[] = [];
  for (const { source, output } of entries) {
    const result = await esbuild
      .build({
        entryPoints: [source],
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        outfile: `/${output}`,
        sourcemap: 'external',
        sourcesContent: false,
        logLevel: 'silent',
        // A folder that is never read: every path below is in the plugin's own namespace.
        absWorkingDir: '/',
        define: {
          'import.meta.url': '__ws_meta_url',
          'import.meta.filename': '__ws_meta_filename',
          'import.meta.dirname': '__ws_meta_dirname',
        },
        plugins: [workspacePlugin(files, workspacePath)],
      })
      .catch((err: unknown) => err as esbuild.BuildFailure);
    if ('errors' in result && result.errors.length)
      return { ok: false, message: formatErrors(result.errors) };
    const outputs = (result as esbuild.BuildResult<{ write: false }>).outputFiles ?? [];
    const js = outputs.find((o) => o.path.endsWith('.mjs'));
    const map = outputs.find((o) => o.path.endsWith('.map'));
    if (!js || !map) return { ok: false, message: 'worksample: the compiler produced no output\n' };
    built.push({ path: output, content: Buffer.from(withInlineMap(js.text, map.text, output)) });
  }
  return { ok: true, files: built };
}

function workspacePlugin(files: ReadonlyMap<string, string>, workspacePath: string): esbuild.Plugin {
  return {
    name: 'worksample-workspace',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (a) => {
        if (a.kind === 'entry-point') return { path: a.path, namespace: NS };
        if (!a.path.startsWith('.') && !a.path.startsWith('/')) return { path: a.path, external: true };
        const joined = a.path.startsWith('/')
          ? path.posix.relative(workspacePath, a.path)
          : path.posix.join(path.posix.dirname(a.importer), a.path);
        const found = !joined.startsWith('..') && !path.posix.isAbsolute(joined) && resolveIn(files, joined);
        if (found) return { path: found, namespace: NS };
        return { errors: [{ text: `Could not resolve "${a.path}" (no such file in the workspace)` }] };
      });
      b.onLoad({ filter: /.*/, namespace: NS }, (a) => {
        const abs = path.posix.join(workspacePath, a.path);
        // On the first line (no line shift for the source map): this module's own import.meta values.
        const meta = `var __ws_meta_url = ${JSON.stringify(`file://${encodeURI(abs)}`)}, __ws_meta_filename = ${JSON.stringify(abs)}, __ws_meta_dirname = ${JSON.stringify(path.posix.dirname(abs))};`;
        const text = files.get(a.path) ?? '';
        return { contents: a.path.endsWith('.json') ? text : meta + text, loader: loaderFor(a.path) };
      });
    },
  };
}

/** The JS with its map inline, sources rewritten from `workspace:src/x.ts` to paths relative to it. */
function withInlineMap(js: string, mapText: string, output: string): string {
  const map = JSON.parse(mapText) as { sources: string[] };
  const from = path.posix.dirname(output);
  map.sources = map.sources.map((s) => path.posix.relative(from, s.replace(`${NS}:`, '')));
  const body = js.replace(/\/\/# sourceMappingURL=.*\n?$/, '');
  return `${body}//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}

const META_PREFIX = /^var __ws_meta_url = .*?, __ws_meta_dirname = "(?:[^"\\]|\\.)*";/;

/** `src/x.ts:3:7: error: Expected ";" but found "b"` with the line and a caret, like tsc prints. */
export function formatErrors(errors: readonly esbuild.Message[]): string {
  const shown = errors.slice(0, 10).map((e) => {
    const at = e.location;
    if (!at) return `error: ${e.text}`;
    const file = at.file.replace(`${NS}:`, '');
    // Line 1 carries the import.meta prefix the candidate never wrote.
    const skip = at.line === 1 ? (META_PREFIX.exec(at.lineText)?.[0].length ?? 0) : 0;
    const column = Math.max(0, at.column - skip);
    const caret = `${' '.repeat(column)}^`;
    return `${file}:${at.line}:${column + 1}: error: ${e.text}\n    ${at.lineText.slice(skip)}\n    ${caret}`;
  });
  const more = errors.length > 10 ? `\n… and ${errors.length - 10} more errors` : '';
  return `${shown.join('\n\n')}${more}\n\nworksample: the TypeScript could not be compiled, so nothing ran.\n`;
}
