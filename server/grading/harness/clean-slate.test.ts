import { describe, expect, it } from 'vitest';
import { cleanSlate, excludedReason } from './clean-slate.ts';

const hidden = ['hidden.test.mjs', 'sub/test_hidden.py'];

describe('clean slate for grading', () => {
  it('keeps ordinary source, data and package files', () => {
    for (const p of [
      'parse-model-json.mjs',
      'src/triage.ts',
      'rag.py',
      'data/handbook.json',
      'package.json',
      'tsconfig.json',
      'NOTES.md',
      'test_visible.py',
      'visible.test.ts',
    ])
      expect(excludedReason(p, hidden), p).toBeUndefined();
  });

  it('drops runtime and test-runner configuration wherever it sits', () => {
    for (const p of [
      'conftest.py',
      'tests/conftest.py',
      'pytest.ini',
      'tox.ini',
      'setup.cfg',
      'pyproject.toml',
      'sitecustomize.py',
      'lib/usercustomize.py',
      'evil.pth',
      '.npmrc',
    ])
      expect(excludedReason(p, hidden), p).toBeDefined();
  });

  it('drops package shadows, compiled code and bridge paths', () => {
    expect(excludedReason('node_modules/node:test/index.js', hidden)).toMatch(/shadow/);
    expect(excludedReason('src/node_modules/openai/index.js', hidden)).toMatch(/shadow/);
    expect(excludedReason('__pycache__/rag.cpython-311.pyc', hidden)).toMatch(/compiled/);
    expect(excludedReason('rag.cpython-311-x86_64-linux-gnu.so', hidden)).toMatch(/compiled/);
    expect(excludedReason('.worksample-bridge-1.sock', hidden)).toMatch(/bridge/);
    expect(excludedReason('.worksample/x.mjs', hidden)).toMatch(/bridge/);
  });

  it('drops files named like a hidden test, in any folder', () => {
    expect(excludedReason('hidden.test.mjs', hidden)).toMatch(/hidden test/);
    expect(excludedReason('deep/test_hidden.py', hidden)).toMatch(/hidden test/);
    expect(excludedReason('hidden.test.ts', hidden)).toBeUndefined();
  });

  it('splits a file list and says why each dropped file stayed out', () => {
    const { kept, dropped } = cleanSlate(
      [{ path: 'rag.py' }, { path: 'conftest.py' }, { path: 'x.pth' }],
      hidden,
    );
    expect(kept.map((f) => f.path)).toEqual(['rag.py']);
    expect(dropped).toEqual([
      { path: 'conftest.py', reason: 'runtime or test-runner configuration' },
      { path: 'x.pth', reason: 'a .pth file runs code at interpreter start' },
    ]);
  });
});
