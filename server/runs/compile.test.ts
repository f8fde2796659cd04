import { describe, expect, it } from 'vitest';
import { BUILD_DIR, compileEntries, compilePlan } from './compile.ts';

const paths = new Set(['main.ts', 'visible.test.ts', 'own.test.ts', 'src/triage.ts', 'notes.md']);

describe('compilePlan', () => {
  it('replaces `node --import tsx main.ts` by node with source maps on the built entry; program args stay', () => {
    expect(compilePlan(['node', '--import', 'tsx', 'main.ts', 'other.ts', '--x'], paths)).toEqual({
      argv: ['node', '--enable-source-maps', `./${BUILD_DIR}/main.mjs`, 'other.ts', '--x'],
      entries: [{ source: 'main.ts', output: `${BUILD_DIR}/main.mjs` }],
    });
    expect(compilePlan(['node', '--import=tsx', './main.ts'], paths)?.argv).toEqual([
      'node',
      '--enable-source-maps',
      `./${BUILD_DIR}/main.mjs`,
    ]);
  });

  it('with --test, builds every named test file (the candidate’s own ones too) and keeps the options', () => {
    const argv = [
      'node',
      '--import',
      'tsx',
      '--test',
      '--test-reporter=tap',
      'visible.test.ts',
      './own.test.ts',
    ];
    expect(compilePlan(argv, paths)).toEqual({
      argv: [
        'node',
        '--enable-source-maps',
        '--test',
        '--test-reporter=tap',
        `./${BUILD_DIR}/visible.test.mjs`,
        `./${BUILD_DIR}/own.test.mjs`,
      ],
      entries: [
        { source: 'visible.test.ts', output: `${BUILD_DIR}/visible.test.mjs` },
        { source: 'own.test.ts', output: `${BUILD_DIR}/own.test.mjs` },
      ],
    });
  });

  it('leaves commands it cannot compile to the task (no tsx, not node, a file the workspace lacks)', () => {
    expect(compilePlan(['node', 'main.ts'], paths)).toBeUndefined();
    expect(compilePlan(['python3', '--import', 'tsx', 'main.ts'], paths)).toBeUndefined();
    expect(compilePlan(['node', '--import', 'tsx', 'gone.ts'], paths)).toBeUndefined();
    expect(compilePlan(['node', '--import', 'tsx', 'notes.md'], paths)).toBeUndefined();
    expect(compilePlan(['node', '--import', 'tsx', '-e', '1'], paths)).toBeUndefined();
    const deep = `${'d/'.repeat(11)}main.ts`;
    expect(compilePlan(['node', '--import', 'tsx', deep], new Set([deep]))).toBeUndefined();
  });
});

const files = (o: Record<string, string>) => new Map(Object.entries(o));
const inlineMap = (js: string) => {
  const b64 = /sourceMappingURL=data:application\/json;base64,(.+)\n$/.exec(js)?.[1];
  return JSON.parse(Buffer.from(b64!, 'base64').toString()) as { sources: string[] };
};

describe('compileEntries', () => {
  it('bundles workspace imports (`.ts`, `.js` naming `.ts`, extensionless), keeps packages external', async () => {
    const r = await compileEntries(
      [{ source: 'src/main.test.ts', output: `${BUILD_DIR}/src/main.test.mjs` }],
      files({
        'src/main.test.ts':
          "import OpenAI from 'openai';\nimport { test } from 'node:test';\nimport { a } from './a.ts';\nimport { b } from './b.js';\nimport { c } from '../lib/c';\nimport data from '../data.json';\nconst n: number = a + b + c + data.n;\ntest('t', () => console.log(n, OpenAI));\n",
        'src/a.ts': 'export const a: number = 1;\n',
        'src/b.ts': 'export const b = 2 as number;\n',
        'lib/c/index.ts': 'export const c = 3;\n',
        'data.json': '{"n": 4}',
      }),
      '/workspace',
    );
    if (!r.ok) throw new Error(r.message);
    const js = r.files[0]!.content.toString();
    expect(r.files[0]!.path).toBe(`${BUILD_DIR}/src/main.test.mjs`);
    expect(js).toMatch(/from "openai"/);
    expect(js).toMatch(/from "node:test"/);
    expect(js).not.toMatch(/: number/);
    // Sources relative to the output, so node's source maps name /workspace/src/a.ts.
    expect(inlineMap(js).sources.sort()).toEqual([
      '../../data.json',
      '../../lib/c/index.ts',
      '../../src/a.ts',
      '../../src/b.ts',
      '../../src/main.test.ts',
    ]);
  });

  it("keeps each module's import.meta.url, filename and dirname pointing at its own source file", async () => {
    const r = await compileEntries(
      [{ source: 'main.ts', output: `${BUILD_DIR}/main.mjs` }],
      files({
        'main.ts': "import { here } from './src/here.ts';\nconsole.log(import.meta.url, here);\n",
        'src/here.ts': 'export const here = [import.meta.filename, import.meta.dirname];\n',
      }),
      '/workspace',
    );
    if (!r.ok) throw new Error(r.message);
    const js = r.files[0]!.content.toString();
    expect(js).toContain('"file:///workspace/main.ts"');
    expect(js).toContain('"/workspace/src/here.ts"');
    expect(js).toContain('"/workspace/src"');
    expect(js).not.toContain('import.meta');
  });

  it('type errors do not block (like tsx)', async () => {
    const r = await compileEntries(
      [{ source: 'main.ts', output: `${BUILD_DIR}/main.mjs` }],
      files({ 'main.ts': "const n: number = 'not a number';\nconsole.log(n);\n" }),
      '/workspace',
    );
    expect(r.ok).toBe(true);
  });
});

describe('compileEntries errors', () => {
  it('a syntax error names the file, line and column the candidate wrote, with the line and a caret', async () => {
    const r = await compileEntries(
      [{ source: 'main.ts', output: `${BUILD_DIR}/main.mjs` }],
      files({ 'main.ts': "import './src/x.ts';\n", 'src/x.ts': 'const a = 1;\nconst b = (2;\n' }),
      '/workspace',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toMatch(
      /^src\/x\.ts:2:13: error: Expected "\)" but found ";"\n {4}const b = \(2;\n {16}\^/,
    );
    expect(r.message).toContain('could not be compiled, so nothing ran');
  });

  it('an error on line 1 is reported at the column the candidate wrote (not shifted by the import.meta prefix)', async () => {
    const r = await compileEntries(
      [{ source: 'main.ts', output: `${BUILD_DIR}/main.mjs` }],
      files({ 'main.ts': 'let x = ;\n' }),
      '/workspace',
    );
    expect(!r.ok && r.message.split('\n').slice(0, 3)).toEqual([
      'main.ts:1:9: error: Unexpected ";"',
      '    let x = ;',
      '            ^',
    ]);
  });

  it('a relative import of a missing file is a compile error naming it', async () => {
    const r = await compileEntries(
      [{ source: 'main.ts', output: `${BUILD_DIR}/main.mjs` }],
      files({ 'main.ts': "import { x } from './src/missing.ts';\nconsole.log(x);\n" }),
      '/workspace',
    );
    expect(!r.ok && r.message).toMatch(/^main\.ts:1:19: error: Could not resolve "\.\/src\/missing\.ts"/);
  });
});
