/**
 * Node's type definitions (@types/node, the major version the node sandbox runs) for the editor, so
 * `node:test`, `node:assert/strict`, `process` and `Buffer` type-check in Monaco as they run in the
 * sandbox. A chunk of its own, loaded only for workspaces with TypeScript or JavaScript files.
 *
 * Comments are stripped at build time (web/build/dtsStrip.ts) to keep the chunk small; the types,
 * not their prose, are what remove false errors.
 */
const files = import.meta.glob<string>(
  [
    '../../../node_modules/@types/node/**/*.d.ts',
    // Declarations for TypeScript versions before 5.7; Monaco's is newer.
    '!../../../node_modules/@types/node/ts5.6/**',
  ],
  { query: '?raw', import: 'default', eager: true },
);

/** [virtual file path, declarations] for every @types/node file. */
export const nodeTypes: [string, string][] = Object.entries(files).map(([p, text]) => [
  `file:///node_modules/@types/node/${p.split('/@types/node/')[1]}`,
  text,
]);
