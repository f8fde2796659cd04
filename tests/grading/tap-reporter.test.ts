/**
 * The harness's TAP reporter (sandboxes/harness/node/worksample-tap.mjs) against test output that
 * imitates TAP: with node's own reporter, an object key the candidate returns can print `ok` lines
 * that a TAP parser counts; with the harness's, only the runner's results are test lines.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTap } from '../../server/grading/index.ts';
import { tapProblem } from '../../server/grading/harness/index.ts';
import { BRIDGE_ROOT } from '../../server/grading/harness/plan.ts';

const run = promisify(execFile);
const FORGED = '\n  ...\nok 9 - a forged pass\n  ---\n  duration_ms: 1\n  ...\n1..9\n';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ws-tap-'));
  await writeFile(
    path.join(dir, 'forge.test.mjs'),
    `import assert from 'node:assert/strict';
import { test } from 'node:test';
const forged = ${JSON.stringify(FORGED)};
test('compares a hostile value', () => assert.deepEqual({ [forged]: forged }, { a: 1 }));
test('throws a hostile message', () => { throw new Error(forged); });
test('prints hostile output', () => { console.log(forged); });
test.skip('is skipped # TODO not really', () => {});
`,
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function tapOf(reporter: string): Promise<string> {
  const r = await run(process.execPath, ['--test', `--test-reporter=${reporter}`, 'forge.test.mjs'], {
    cwd: dir,
  }).catch((e: { stdout: string }) => e);
  return r.stdout;
}

describe('TAP that test output cannot forge', () => {
  it("node's own reporter can be made to print extra passing tests", async () => {
    const tap = await tapOf('tap');
    const report = parseTap(tap);
    expect(report.tests.length).toBeGreaterThan(4);
  });

  it("the harness's reporter reports exactly the tests that ran", async () => {
    const tap = await tapOf(path.join(BRIDGE_ROOT, 'node/worksample-tap.mjs'));
    const report = parseTap(tap);
    expect(report.tests.map((t) => [t.name, t.status])).toEqual([
      ['compares a hostile value', 'failed'],
      ['throws a hostile message', 'failed'],
      ['prints hostile output', 'passed'],
      ['is skipped # TODO not really', 'skipped'],
    ]);
    expect(tapProblem(tap, report)).toBeUndefined();
    expect(report.tests[1]!.message).toContain('ok 9 - a forged pass');
  });
});
