/**
 * The Monaco bundle: the editor API, the contributions a candidate needs (suggest, hover, find,
 * folding, …), and only our languages — TypeScript/JavaScript (with the TS worker for IntelliSense),
 * Python and Markdown. Loaded lazily by ./load.ts after the shell renders; never from a CDN.
 */
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/editor/browser/coreCommands';
import 'monaco-editor/editor/browser/widget/codeEditor/codeEditorWidget';
import 'monaco-editor/editor/contrib/bracketMatching/browser/bracketMatching';
import 'monaco-editor/editor/contrib/clipboard/browser/clipboard';
import 'monaco-editor/editor/contrib/comment/browser/comment';
import 'monaco-editor/editor/contrib/contextmenu/browser/contextmenu';
import 'monaco-editor/editor/contrib/cursorUndo/browser/cursorUndo';
import 'monaco-editor/editor/contrib/find/browser/findController';
import 'monaco-editor/editor/contrib/hover/browser/hoverContribution';
import 'monaco-editor/editor/contrib/indentation/browser/indentation';
import 'monaco-editor/editor/contrib/linesOperations/browser/linesOperations';
import 'monaco-editor/editor/contrib/multicursor/browser/multicursor';
import 'monaco-editor/editor/contrib/parameterHints/browser/parameterHints';
import 'monaco-editor/editor/contrib/snippet/browser/snippetController2';
import 'monaco-editor/editor/contrib/suggest/browser/suggestController';
import 'monaco-editor/editor/contrib/toggleTabFocusMode/browser/toggleTabFocusMode';
import 'monaco-editor/editor/contrib/wordHighlighter/browser/wordHighlighter';
import 'monaco-editor/editor/contrib/wordOperations/browser/wordOperations';
// The command palette (F1): Run, Run tests and Save now are listed there.
import 'monaco-editor/editor/standalone/browser/quickAccess/standaloneCommandsQuickAccess';
import 'monaco-editor/languages/definitions/typescript/register';
import 'monaco-editor/languages/definitions/javascript/register';
import 'monaco-editor/languages/definitions/python/register';
import 'monaco-editor/languages/definitions/markdown/register';
import {
  typescriptDefaults,
  javascriptDefaults,
  getTypeScriptWorker,
  getJavaScriptWorker,
} from 'monaco-editor/languages/features/typescript/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import TsWorker from 'monaco-editor/language/typescript/ts.worker?worker';
import openaiTypes from './openai-sdk.d.ts.txt?raw';

(self as unknown as { MonacoEnvironment: unknown }).MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    if (label === 'typescript' || label === 'javascript') return new TsWorker();
    return new EditorWorker();
  },
};

/**
 * Matches how the node sandbox runs code: ES modules, `.ts` imports (tsx and Node's type stripping
 * both take them), `node:` modules from @types/node, package imports resolved like a bundler.
 */
const compilerOptions = {
  target: 99, // ESNext
  module: 99, // ESNext
  moduleResolution: 100, // Bundler
  allowImportingTsExtensions: true,
  noEmit: true,
  allowJs: true,
  checkJs: false,
  allowNonTsExtensions: true,
  esModuleInterop: true,
  isolatedModules: true,
  strict: true,
  skipLibCheck: true,
  lib: ['esnext'],
  types: [],
};
for (const d of [typescriptDefaults, javascriptDefaults]) {
  d.setCompilerOptions(compilerOptions);
  d.addExtraLib(openaiTypes, 'file:///node_modules/openai/index.d.ts');
}

let nodeTypes: Promise<void> | null = null;
/** Adds Node's declarations (a separate chunk) the first time a script is opened. */
export function loadNodeTypes(): Promise<void> {
  nodeTypes ??= import('./node-types.ts').then(({ nodeTypes: files }) => {
    const libs = [{ content: openaiTypes, filePath: 'file:///node_modules/openai/index.d.ts' }].concat(
      files.map(([filePath, content]) => ({ filePath, content })),
    );
    for (const d of [typescriptDefaults, javascriptDefaults]) d.setExtraLibs(libs);
  });
  return nodeTypes;
}

/**
 * Python syntax errors (./python-diagnostics.ts, its own chunk, loaded with the first .py file) set
 * as the model's markers; returns how many there are (0 or 1: CPython stops at the first).
 */
async function pythonMarkers(model: monaco.editor.ITextModel): Promise<number> {
  const { pythonSyntaxErrors } = await import('./python-diagnostics.ts');
  if (model.isDisposed()) return 0;
  const errors = pythonSyntaxErrors(model.getValue());
  monaco.editor.setModelMarkers(
    model,
    'python-syntax',
    errors.map((e) => ({
      severity: monaco.MarkerSeverity.Error,
      message: e.message,
      startLineNumber: e.line,
      startColumn: e.column,
      endLineNumber: e.endLine,
      endColumn: e.endColumn,
      source: 'python',
    })),
  );
  return errors.length;
}

/**
 * Error-level diagnostics for one model (what Monaco underlines red): the TypeScript worker's for
 * scripts, syntax errors for Python (which this call also sets as markers); null for languages the
 * editor does not check.
 */
export async function errorCount(model: monaco.editor.ITextModel): Promise<number | null> {
  const lang = model.getLanguageId();
  if (lang === 'python') return pythonMarkers(model);
  if (lang !== 'typescript' && lang !== 'javascript') return null;
  await loadNodeTypes();
  const getWorker = await (lang === 'typescript' ? getTypeScriptWorker() : getJavaScriptWorker());
  const worker = await getWorker(model.uri);
  const uri = model.uri.toString();
  const [syntactic, semantic] = await Promise.all([
    worker.getSyntacticDiagnostics(uri),
    worker.getSemanticDiagnostics(uri),
  ]);
  return [...syntactic, ...semantic].filter((d) => d.category === 1).length;
}

// The editor's theme follows the system's light/dark setting, as the page's CSS does.
const dark = matchMedia('(prefers-color-scheme: dark)');
const applyTheme = () => monaco.editor.setTheme(dark.matches ? 'vs-dark' : 'vs');
applyTheme();
dark.addEventListener('change', applyTheme);

export { monaco };

/** Monaco's language id for a workspace path. */
export function languageFor(path: string): string {
  if (/\.(m|c)?tsx?$/.test(path)) return 'typescript';
  if (/\.(m|c)?jsx?$/.test(path)) return 'javascript';
  if (path.endsWith('.py')) return 'python';
  if (path.endsWith('.md')) return 'markdown';
  return 'plaintext';
}
