import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILD_DIR, compileEntries } from './compile.ts';

// The compiler runs on the server's host over candidate code: it must never read the host's files.
describe('compile: candidate imports cannot read the host', () => {
  const host = mkdtemp(path.join(os.tmpdir(), 'ws-compile-'));
  afterAll(async () => rm(await host, { recursive: true, force: true }));

  it.each([
    ['an absolute path', (secret: string) => secret],
    ['a path out of the workspace', (secret: string) => `../../../../../../../..${secret}`],
    ['the host copy under the workspace path', (secret: string) => `/workspace/../..${secret}`],
  ])('%s is a compile error, and the file never reaches the output', async (_, spec) => {
    const secret = path.join(await host, 'secret.json');
    await writeFile(secret, '{"token": "HOST-SECRET-42"}');
    const r = await compileEntries(
      [{ source: 'main.ts', output: `${BUILD_DIR}/main.mjs` }],
      new Map([['main.ts', `import s from ${JSON.stringify(spec(secret))};\nconsole.log(s);\n`]]),
      '/workspace',
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).not.toContain('HOST-SECRET-42');
  });

  it('a tsconfig or package.json on the host is never consulted (JSX factory stays the default)', async () => {
    const r = await compileEntries(
      [{ source: 'main.tsx', output: `${BUILD_DIR}/main.mjs` }],
      new Map([
        ['main.tsx', 'console.log(<b />);\n'],
        ['tsconfig.json', '{"compilerOptions": {"jsxFactory": "evil"}}'],
      ]),
      '/workspace',
    );
    expect(r.ok && r.files[0]!.content.toString()).toContain('React.createElement');
  });
});
