/**
 * The harness and subject processes end to end on the local driver (real child processes, no Docker:
 * the uid separation is Docker's; this checks the bridge's behaviour). A subject that crashes or hangs
 * fails only the test that hit it — the next call gets a fresh worker — the allow-list holds, callbacks
 * and exceptions cross in both languages, and the verdict comes from the harness's report.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runHiddenTests } from '../../server/grading/harness/index.ts';
import { silentLogger } from '../../server/logger/index.ts';
import { defaultLimits, LocalDriver, type SandboxSession } from '../../server/sandbox/index.ts';

const driver = new LocalDriver({ logger: silentLogger, useBwrap: false });
const hasPytest = spawnSync('python3', ['-c', 'import pytest'], { stdio: 'ignore' }).status === 0;

let session: SandboxSession;
beforeEach(async () => {
  session = await driver.createSession({
    env: 'node',
    purpose: 'test',
    ownerId: 'harness-local',
    limits: { ...defaultLimits, wallMs: 60_000 },
    network: 'none',
  });
});
afterEach(() => driver.destroy(session));

const file = (path: string, text: string) => ({ path, content: Buffer.from(text) });
const statuses = (r: { report: { tests: Array<{ name: string; status: string }> } }) =>
  Object.fromEntries(r.report.tests.map((t) => [t.name.replace(/^test_hidden::/, ''), t.status]));

describe('node harness and subject', () => {
  it('isolates crashes and hangs, enforces the allow-list, and carries callbacks and .ts modules', async () => {
    await driver.putFiles(session, [
      file(
        'lib.mjs',
        `export const add = (a, b) => a + b;
export function crash() { process.exit(3); }
export function hang() { for (;;); }
export async function viaCallback(client, x) { return client.double(await client.base() + x); }
export const data = { big: 2n ** 64n, when: new Date(0), missing: undefined };
`,
      ),
      file('typed.ts', 'export const greet = (name: string): string => `hello ${name}`;\n'),
      file('package.json', '{ "type": "module" }\n'),
    ]);
    const hidden = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSubject, subject, SubjectError } from './worksample-harness.mjs';
const lib = subject('lib.mjs', { timeoutMs: 1500 });
test('adds', async () => assert.equal(await lib.add(2, 3), 5));
test('crash fails this test only', async () => { await assert.rejects(lib.crash(), SubjectError); });
test('works again after a crash', async () => assert.equal(await lib.add(1, 1), 2));
test('hang times out', async () => { await assert.rejects(lib.hang(), /did not answer within 1.5 s/); });
test('works again after a hang', async () => assert.equal(await lib.add(4, 4), 8));
test('callbacks run in the harness', async () => {
  const client = { factor: 2, base: async () => 10, double(n) { return n * this.factor; } };
  assert.equal(await lib.viaCallback(client, 1), 22);
});
test('values keep their types', async () => {
  const { data } = await loadSubject('lib.mjs');
  assert.deepEqual(data, { big: 2n ** 64n, when: new Date(0), missing: undefined });
});
test('loads TypeScript', async () => assert.equal(await subject('typed.ts').greet('Ada'), 'hello Ada'));
test('refuses modules outside the allow-list', () => assert.throws(() => subject('secret.mjs'), /not listed/));
test('a missing export fails clearly', async () => { await assert.rejects(lib.nope(), /has no export named "nope"/); });
`;
    const r = await runHiddenTests(driver, session, {
      env: 'node',
      grade: ['node', '--test', '--test-reporter=spec', 'hidden.test.mjs'],
      report: { format: 'tap' },
      modules: ['lib.mjs', 'typed.ts'],
      hidden: [file('hidden.test.mjs', hidden)],
    });
    expect(statuses(r), r.stdout + r.stderr).toEqual({
      adds: 'passed',
      'crash fails this test only': 'passed',
      'works again after a crash': 'passed',
      'hang times out': 'passed',
      'works again after a hang': 'passed',
      'callbacks run in the harness': 'passed',
      'values keep their types': 'passed',
      'loads TypeScript': 'passed',
      'refuses modules outside the allow-list': 'passed',
      'a missing export fails clearly': 'passed',
    });
    expect(r).toMatchObject({ verdict: 'passed', error: null });
  });

  it('fails every test, each with the reason, when the module cannot load', async () => {
    await driver.putFiles(session, [
      file('lib.mjs', 'process.exit(0);\nexport const add = (a, b) => a + b;\n'),
    ]);
    const r = await runHiddenTests(driver, session, {
      env: 'node',
      grade: ['node', '--test', 'hidden.test.mjs'],
      report: { format: 'tap' },
      modules: ['lib.mjs'],
      hidden: [
        file(
          'hidden.test.mjs',
          `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { subject } from './worksample-harness.mjs';
const { add } = subject('lib.mjs');
test('one', async () => assert.equal(await add(1, 1), 2));
test('two', async () => assert.equal(await add(2, 2), 4));
`,
        ),
      ],
    });
    expect(r.verdict).toBe('failed');
    expect(r.report.tests.map((t) => [t.name, t.status])).toEqual([
      ['one', 'failed'],
      ['two', 'failed'],
    ]);
    expect(r.report.tests[0]!.message).toMatch(/SubjectError: .*while loading lib\.mjs/);
  });
});

describe.runIf(hasPytest)('python harness and subject', () => {
  it('isolates crashes and hangs, maps exceptions, and carries kwargs, tuples and callbacks', async () => {
    await driver.putFiles(session, [
      file(
        'lib.py',
        `import os, time
NAME = "lib"
LIMITS = {"k": (1, 2), "tags": {"a"}}

class BadInput(ValueError):
    pass

def add(a, b=0, *, scale=1):
    return (a + b) * scale

def crash():
    os._exit(3)

def hang():
    time.sleep(60)

def bad(kind):
    if kind == "own":
        raise BadInput("own error")
    raise {"key": KeyError, "exit": SystemExit}[kind]("builtin")

def via(callback, x):
    return callback(x) + 1

def pair():
    return (1, b"\\x00\\xff")
`,
      ),
    ]);
    const hidden = `import pytest
from worksample_harness import SubjectFailure, subject

lib = subject("lib", timeout=1.5)

def test_kwargs():
    assert lib.add(1, b=2, scale=3) == 9

def test_crash_fails_this_test_only():
    with pytest.raises(SubjectFailure):
        lib.crash()

def test_works_again_after_a_crash():
    assert lib.add(1) == 1

def test_hang_times_out():
    with pytest.raises(SubjectFailure, match="did not answer within 1.5 s"):
        lib.hang()

def test_works_again_after_a_hang():
    assert lib.add(2, 2) == 4

def test_module_exceptions_match():
    with pytest.raises(lib.BadInput):
        lib.bad("own")
    with pytest.raises(ValueError, match="own error"):
        lib.bad("own")
    with pytest.raises(KeyError):
        lib.bad("key")

def test_system_exit_is_not_an_exception_here():
    with pytest.raises(SubjectFailure):
        lib.bad("exit")

def test_values_and_callbacks():
    assert lib.NAME == "lib"
    assert lib.LIMITS == {"k": (1, 2), "tags": {"a"}}
    assert lib.pair() == (1, b"\\x00\\xff")
    assert lib.via(lambda x: x * 10, 4) == 41

def test_refuses_modules_outside_the_allow_list():
    with pytest.raises(SubjectFailure, match="not listed"):
        subject("secret")

def test_a_dead_subject_is_not_an_expected_exception():
    with pytest.raises(Exception):
        lib.crash()
`;
    const r = await runHiddenTests(driver, session, {
      env: 'python',
      grade: ['pytest', '-q', '-p', 'no:cacheprovider', '--junitxml=report.xml', 'test_hidden.py'],
      report: { format: 'junit', path: 'report.xml' },
      modules: ['lib'],
      hidden: [file('test_hidden.py', hidden)],
    });
    expect(statuses(r), r.stdout + r.stderr).toEqual({
      test_kwargs: 'passed',
      test_crash_fails_this_test_only: 'passed',
      test_works_again_after_a_crash: 'passed',
      test_hang_times_out: 'passed',
      test_works_again_after_a_hang: 'passed',
      test_module_exceptions_match: 'passed',
      test_system_exit_is_not_an_exception_here: 'passed',
      test_values_and_callbacks: 'passed',
      test_refuses_modules_outside_the_allow_list: 'passed',
      test_a_dead_subject_is_not_an_expected_exception: 'failed',
    });
    expect(r.verdict).toBe('failed');
  });
});
