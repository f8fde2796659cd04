/**
 * Fast TypeScript Runs (`environment.compile: esbuild`, issue 16) on the real Docker engine through
 * the product path, with ticket-triage (which opts in): the server compiles the candidate's
 * TypeScript and the sandbox runs plain node on it — output, stack traces naming the candidate's
 * `.ts` files and lines, `import.meta.url` of the source file, `Run tests` results in the Tests panel
 * with their names and locations, and a syntax error as a readable message that runs nothing.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostFirewall } from '../../server/sandbox/index.ts';
import { defaultLimits } from '../../server/sandbox/types.ts';
import { makeTestApp, type TestApp } from '../../server/testing/index.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesReady, makeDriver } from '../helpers/docker.ts';
import { freePort, repoRoot } from '../helpers/process.ts';

const ready = await sandboxesReady(['node']);
const firewall = ready ? await hostFirewall() : undefined;

interface Run {
  verdict: string;
  argv: string[];
  stdout: string;
  stderr: string;
  tests: { tests: { name: string; status: string; location?: { file: string; line: number } }[] } | null;
}

describe.runIf(
  needs(
    'docker',
    ready && Boolean(firewall?.available),
    'install docker.io and iptables, build the sandboxes',
  ),
)('TypeScript Runs compiled with esbuild (Docker)', () => {
  let t: TestApp;
  let browser: Parameters<TestApp['req']>[0];
  let attemptId: string;
  beforeAll(async () => {
    const gatewayPort = await freePort();
    const driver = await makeDriver(gatewayPort, { firewall });
    t = await makeTestApp({
      driver,
      env: { GATEWAY_PORT: String(gatewayPort) },
      sandbox: { poolSize: 0, limits: { ...defaultLimits, wallMs: 120_000 } },
    });
    await t.importExample(path.join(repoRoot, 'tasks', 'ticket-triage'));
    ({ browser, attemptId } = await t.startedCandidate(undefined, 'ts@example.com', 'ticket-triage'));
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await t?.services.gateway.close();
  });

  const put = async (file: string, content: string) =>
    expect(
      (await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, { path: file, content })).status,
    ).toBe(200);
  async function run(kind: 'run' | 'test'): Promise<Run> {
    const start = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind });
    expect(start.status).toBe(202);
    await t.services.runs.settle();
    const r = (await t.req(browser, 'GET', `/api/attempts/${attemptId}/runs/${start.json.run.id}`)).json.run;
    return { ...r, stderr: r.stderr.replace(/\x1b\[[0-9;]*m/g, '') };
  }

  it(
    'a Run prints, and a thrown error names the candidate’s .ts files and lines',
    { timeout: 120_000 },
    async () => {
      await put(
        'src/boom.ts',
        'export function boom(why: string): never {\n  const note: string = `boom: ${why}`;\n  throw new Error(note);\n}\n',
      );
      await put(
        'main.ts',
        "import { boom } from './src/boom.ts';\n\nconsole.log('first output', new URL('.', import.meta.url).pathname);\nconsole.log(process.execArgv.join(' '));\nboom('on purpose');\n",
      );
      const r = await run('run');
      expect(r.argv).toEqual(['node', '--import', 'tsx', 'main.ts']); // what the task says, as recorded
      // Plain node on the build: no tsx loader at run time.
      expect(r.stdout).toBe('first output /workspace/\n--enable-source-maps\n');
      expect(r.verdict).toBe('error');
      expect(r.stderr).toContain('Error: boom: on purpose');
      expect(r.stderr).toMatch(/at boom \(\/workspace\/src\/boom\.ts:3:9\)/);
      expect(r.stderr).toMatch(/\/workspace\/main\.ts:5:1/);
      expect(r.stderr).not.toContain('.worksample-build');
    },
  );

  it(
    'Run tests: visible and own tests parse into the Tests panel with names and .ts locations',
    { timeout: 120_000 },
    async () => {
      await put(
        'own.test.ts',
        "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { boom } from './src/boom.ts';\n\ntest('own ok', () => {});\ntest('own bad', () => {\n  assert.equal(1 as number, 2);\n});\ntest('own throws in src', () => boom('x'));\n",
      );
      const r = await run('test');
      const tests = Object.fromEntries(r.tests!.tests.map((x) => [x.name, x]));
      expect(tests['own ok']).toMatchObject({ status: 'passed' });
      expect(tests['own bad']).toMatchObject({
        status: 'failed',
        location: { file: 'own.test.ts', line: 7 },
      });
      expect(tests['own throws in src']).toMatchObject({
        status: 'failed',
        location: { file: 'src/boom.ts', line: 3 },
      });
      // The task's visible tests ran too, under their own names.
      expect(Object.keys(tests)).toEqual(
        expect.arrayContaining([
          'triages a billing ticket',
          'an empty ticket gets the fallback without a model call',
        ]),
      );
    },
  );

  it(
    'a failed Run that removed the build does not break the next one (the build is written again)',
    { timeout: 120_000 },
    async () => {
      // Same files for every Run: the first removes the build and fails, the next ones print.
      await put(
        'main.ts',
        "import { existsSync, rmSync, writeFileSync } from 'node:fs';\n\nif (!existsSync('/tmp/removed')) {\n  writeFileSync('/tmp/removed', '');\n  rmSync('.worksample-build', { recursive: true });\n  process.exit(3);\n}\nconsole.log('back');\n",
      );
      expect((await run('run')).verdict).toBe('error');
      expect(await run('run')).toMatchObject({ verdict: 'ok', stdout: 'back\n' });
      expect(await run('run')).toMatchObject({ verdict: 'ok', stdout: 'back\n' });
    },
  );

  it(
    'a syntax error is a readable message naming file:line, and nothing runs',
    { timeout: 120_000 },
    async () => {
      await put(
        'src/boom.ts',
        "export function boom(why: string) {\n  console.log('ran');\n  const x = (1;\n}\n",
      );
      await put('main.ts', "import { boom } from './src/boom.ts';\n\nboom('x');\n");
      const r = await run('run');
      expect(r.verdict).toBe('error');
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^src\/boom\.ts:3:15: error: Expected "\)" but found ";"\n {4} {2}const x = \(1;\n/,
      );
      expect(r.stderr).toContain('nothing ran');
    },
  );
});
