/** Which failures a grading retries (engine trouble) and which it fails at once; and the backoff. */
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.ts';
import { backoffMs } from './backoff.ts';
import { describeError, isTransient } from './classify.ts';
import { SandboxLostError } from '../runs/index.ts';
import { addressPoolError } from '../testing/faulty-driver.ts';

const engine = (statusCode: number, message: string) => Object.assign(new Error(message), { statusCode });
const sys = (code: string, syscall = 'connect') =>
  Object.assign(new Error(`${syscall} ${code}`), { code, syscall });

describe('isTransient', () => {
  it('retries engine errors', () => {
    for (const err of [
      addressPoolError(),
      engine(500, '(HTTP code 500) server error - failed to create shim task'),
      engine(
        409,
        '(HTTP code 409) unexpected - Conflict. The container name "/ws-grade-1" is already in use',
      ),
      engine(409, 'container 3f2 is not running'),
      engine(404, '(HTTP code 404) no such container - No such container: 3f2'),
      sys('ECONNREFUSED'),
      sys('ENOENT'), // the engine's socket is gone
      sys('ECONNRESET', 'read'),
      new Error('the reaper timed out'),
      new Error('socket hang up'),
      new SandboxLostError(),
      new AppError('unavailable', 'code cannot run: the Docker engine does not answer'),
      new AppError('rate_limited', 'all sandboxes are busy'),
    ])
      expect(isTransient(err), err.message).toBe(true);
  });

  it('fails at once on what another try would repeat', () => {
    for (const err of [
      new Error('unknown sandbox environment "cobol"'),
      new TypeError("Cannot read properties of undefined (reading 'grade')"),
      engine(400, '(HTTP code 400) bad parameter - invalid mount config'),
      sys('ENOENT', 'open'), // a missing file is not the engine
      new AppError('not_found', 'attempt not found'),
      'a string',
      undefined,
    ])
      expect(isTransient(err), String(err)).toBe(false);
  });

  it('describes an error on one bounded line', () => {
    expect(describeError(new Error('a\n  b'))).toBe('a b');
    expect(describeError(new Error('x'.repeat(900)))).toHaveLength(500);
  });
});

describe('backoffMs', () => {
  const policy = { baseMs: 5000, maxMs: 300_000 };
  it('doubles per try, capped, within the upper half of each step', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, policy, () => 0))).toEqual([2500, 5000, 10_000, 20_000]);
    expect([1, 2, 3, 4].map((n) => backoffMs(n, policy, () => 1))).toEqual([5000, 10_000, 20_000, 40_000]);
    expect(backoffMs(30, policy, () => 1)).toBe(300_000);
    expect(backoffMs(30, policy, () => 0)).toBe(150_000);
  });
  it('spreads gradings failed together (jitter)', () => {
    const waits = new Set(Array.from({ length: 20 }, () => backoffMs(3, policy)));
    expect(waits.size).toBeGreaterThan(10);
  });
});
