import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import { monacoStubs } from './build/monacoStubs.ts';
import { precompress } from './build/compress.ts';
import { dtsStrip } from './build/dtsStrip.ts';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * monaco-editor internals the standalone API drags in but the product never uses, replaced by stubs
 * (web/build/monacoStubs.ts) to keep the Monaco chunks within budget (bench/web.ts). Paths are under
 * monaco-editor/esm/vs/. Each is reachable only through a feature we never turn on or call.
 */
const MONACO_STUBS = [
  // Diff editors: only built by monaco.editor.createDiffEditor / createMultiFileDiffEditor, which
  // the product never calls (the standalone API imports them unconditionally).
  'editor/browser/widget/diffEditor/diffEditorWidget.js',
  'editor/browser/widget/multiDiffEditor/multiDiffEditorWidget.js',
  // WebGPU text rendering: only created when `experimentalGpuAcceleration: 'on'` (default 'off').
  'editor/browser/gpu/viewGpuContext.js',
  'editor/browser/viewParts/viewLinesGpu/viewLinesGpu.js',
];

/**
 * Preact's JSX is compiled by Vite's own transformer (no plugin). Monaco and its workers are split
 * into their own chunks and loaded only after the shell has rendered (web/src/editor/load.ts).
 */
export default defineConfig({
  root,
  plugins: [monacoStubs(MONACO_STUBS), dtsStrip(), precompress()],
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Maps are written for debugging but not referenced from the bundles, and never served
    // (server/http/static.ts answers 404 for *.map).
    sourcemap: 'hidden',
    // No plugin-timing report on `npm start` (an operator's terminal is not a profiler).
    rolldownOptions: { checks: { pluginTimings: false } },
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/i/': 'http://127.0.0.1:8080' } },
});
