/**
 * Drops the doc comments from @types/node declarations imported `?raw` for the editor
 * (web/src/editor/node-types.ts): about half their bytes are prose, and the editor needs the types to
 * check code, not the docs. `///` references and all code stay as they are.
 */
import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';

/** The text without its block comments and the blank lines they leave. */
export function stripDocComments(dts: string): string {
  return dts.replace(/[ \t]*\/\*[\s\S]*?\*\/[ \t]*\r?\n?/g, '').replace(/\n{3,}/g, '\n\n');
}

export function dtsStrip(): Plugin {
  return {
    name: 'worksample:dts-strip',
    enforce: 'pre',
    load(id) {
      const [file, query] = id.split('?');
      if (query !== 'raw' || !/\/@types\/node\/.+\.d\.ts$/.test(file!.replace(/\\/g, '/'))) return null;
      return `export default ${JSON.stringify(stripDocComments(readFileSync(file!, 'utf8')))};`;
    },
  };
}
