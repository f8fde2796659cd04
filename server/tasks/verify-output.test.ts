import { describe, expect, it } from 'vitest';
import { stoppedAtStub, visibleTestSummary } from './verify-output.ts';

describe('visibleTestSummary', () => {
  it('reads pytest -q summaries, coloured or not', () => {
    expect(visibleTestSummary('..\n2 passed in 0.03s\n')).toEqual({ passed: 2, failed: 0, format: 'pytest' });
    expect(
      visibleTestSummary(
        '\u001b[32m.\u001b[0mF\n\u001b[31m1 failed\u001b[0m, \u001b[32m1 passed\u001b[0m in 4.43s\n',
      ),
    ).toEqual({ passed: 1, failed: 1, format: 'pytest' });
    expect(visibleTestSummary('E\n1 error in 0.10s\n')).toEqual({ passed: 0, failed: 1, format: 'pytest' });
  });

  it('reads TAP from node --test and the spec reporter summary', () => {
    expect(visibleTestSummary('TAP version 13\nok 1 - a\nnot ok 2 - b\n1..2\n')).toMatchObject({
      passed: 1,
      failed: 1,
      format: 'tap',
    });
    expect(visibleTestSummary('✔ a (1ms)\nℹ tests 1\nℹ pass 1\nℹ fail 0\n')).toEqual({
      passed: 1,
      failed: 0,
      format: 'node-summary',
    });
  });

  it('finds nothing in output without results', () => {
    expect(visibleTestSummary('Traceback (most recent call last):\nImportError: x\n')).toBeUndefined();
  });
});

describe('stoppedAtStub', () => {
  it('accepts a starter that stops at the stub the candidate writes', () => {
    expect(stoppedAtStub('Traceback (most recent call last):\n  File "main.py"\nNotImplementedError\n')).toBe(
      'NotImplementedError',
    );
    expect(stoppedAtStub('file:///workspace/a.mjs:2\nError: not implemented\n    at f\n')).toBe(
      'Error: not implemented',
    );
  });

  it('refuses a starter that crashes on a missing file or import', () => {
    expect(
      stoppedAtStub(
        "Traceback (most recent call last):\nFileNotFoundError: [Errno 2] No such file or directory: 'data/handbook.json'\n",
      ),
    ).toBeUndefined();
    expect(
      stoppedAtStub("Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/workspace/x.mjs'\n"),
    ).toBeUndefined();
  });
});
