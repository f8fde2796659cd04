import { describe, expect, it } from 'vitest';
import { parseTaskManifest, type TaskManifest } from '../tasks/index.ts';
import { candidateTests, globToRegExp, testArgv } from './tests.ts';

const levels = { 1: 'a', 2: 'b', 3: 'c', 4: 'd' };
function manifest(image: string, test: string[], candidate: string[]): TaskManifest {
  const r = parseTaskManifest('task.yaml', {
    slug: 'demo',
    title: 'Demo',
    summary: 'Demo.',
    kind: 'code',
    timeLimitMinutes: 15,
    environment: { image, run: ['x'], test },
    tests: { visible: ['visible.test.ts'], hidden: ['hidden.test.ts'], candidate },
    rubric: { criteria: [{ id: 'w', title: 'W', levels }] },
  });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.manifest;
}

describe('globToRegExp', () => {
  it('matches ** across folders, * and ? within one', () => {
    const g = globToRegExp('**/*.test.ts');
    expect(['own.test.ts', 'src/a/b.test.ts'].every((p) => g.test(p))).toBe(true);
    expect(['own.test.tsx', 'src/test.ts.bak', 'owntest.ts'].some((p) => g.test(p))).toBe(false);
    expect(globToRegExp('test_?.py').test('test_a.py')).toBe(true);
    expect(globToRegExp('test_?.py').test('dir/test_a.py')).toBe(false);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });
});

describe('testArgv', () => {
  it("appends the candidate's test files after the visible ones, with a TAP reporter for node --test", () => {
    const m = manifest('node', ['node', '--import', 'tsx', '--test', 'visible.test.ts'], ['**/*.test.ts']);
    const paths = ['visible.test.ts', 'own.test.ts', 'src/deep/more.test.ts', 'src/triage.ts'];
    expect(testArgv(m.environment!, m, paths, 'run_1')).toEqual({
      argv: [
        'node',
        '--import',
        'tsx',
        '--test',
        '--test-reporter=tap',
        'visible.test.ts',
        './own.test.ts',
        './src/deep/more.test.ts',
      ],
      junit: undefined,
    });
  });

  it('asks pytest for a JUnit report with file and line', () => {
    const m = manifest('python', ['pytest', '-q', 'test_visible.py'], ['**/test_*.py']);
    const { argv, junit } = testArgv(m.environment!, m, ['test_visible.py', 'test_mine.py'], 'run_7');
    expect(junit).toBe('.worksample-run/run_7.xml');
    expect(argv).toEqual([
      'pytest',
      '-q',
      'test_visible.py',
      '--junitxml=.worksample-run/run_7.xml',
      '-o',
      'junit_family=xunit1',
      './test_mine.py',
    ]);
  });

  it('runs only the command the author wrote when no glob is declared', () => {
    const m = manifest('node', ['node', '--test', 'visible.test.ts'], []);
    expect(testArgv(m.environment!, m, ['own.test.ts'], 'r').argv).toEqual([
      'node',
      '--test',
      '--test-reporter=tap',
      'visible.test.ts',
    ]);
  });
});

describe('candidateTests (security)', () => {
  it('never turns a file name into an option, and skips reserved and package folders', () => {
    const m = manifest('node', ['node', '--test'], ['**/*.test.ts', '*']);
    const own = candidateTests(m, [
      '--import=evil.test.ts',
      '-r.test.ts',
      '.worksample-run/x.test.ts',
      '.worksample/bridge.test.ts',
      'node_modules/pkg/a.test.ts',
      'hidden.test.ts',
    ]);
    expect(own).toEqual(['--import=evil.test.ts', '-r.test.ts', 'hidden.test.ts']);
    const { argv } = testArgv(m.environment!, m, own, 'r');
    // Every appended argument is a ./path, never an option.
    expect(argv.slice(3)).toEqual(['./--import=evil.test.ts', './-r.test.ts', './hidden.test.ts']);
  });
});
