import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Preact's JSX is compiled by Vite's own transformer (no plugin). Monaco and its workers are split
 * into their own chunks and loaded only after the shell has rendered (web/src/editor/load.ts).
 */
export default defineConfig({
  root,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/i/': 'http://127.0.0.1:8080' } },
});
