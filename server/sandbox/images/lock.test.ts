import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../tests/helpers/process.ts';
import { withFileLock } from './lock.ts';

const fixture = join(import.meta.dirname, 'lock.fixture.ts');

/** A builder process; `until(text)` resolves when its stdout contains text. */
function builder(dir: string, name: string) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fixture, dir, name], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  return {
    child,
    exited,
    output: () => out,
    until: (text: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (out.includes(text)) return resolve();
          if (child.exitCode !== null) return reject(new Error(`${name} exited: ${out}\n${err}`));
          setTimeout(check, 20);
        };
        check();
      }),
  };
}

const deadPid = () =>
  new Promise<number>((resolve) => {
    const c = spawn(process.execPath, ['-e', '']);
    c.on('close', () => resolve(c.pid!));
  });

describe('image build lock (real processes)', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir('ws-lock-');
  });
  afterEach(() => tmp.remove());

  it('a second builder waits for the first and reuses its image instead of building alongside', async () => {
    const first = builder(tmp.dir, 'first');
    await first.until('holding');
    const second = builder(tmp.dir, 'second');
    await second.until(`waiting for ${first.child.pid}`);
    // Both processes are now contending; only one has started a build.
    expect(await readFile(join(tmp.dir, 'log'), 'utf8')).toBe('start first\n');
    await writeFile(join(tmp.dir, 'go'), '');
    expect(await first.exited).toBe(0);
    expect(await second.exited).toBe(0);
    expect(first.output()).toMatch(/built\n$/);
    expect(second.output()).toMatch(/reused\n$/);
    expect(await readFile(join(tmp.dir, 'log'), 'utf8')).toBe('start first\nend first\nreuse second\n');
    expect(existsSync(join(tmp.dir, 'images.lock'))).toBe(false);
  });

  it('takes over from a builder that was killed while holding the lock', async () => {
    const first = builder(tmp.dir, 'first');
    await first.until('holding');
    const second = builder(tmp.dir, 'second');
    await second.until('waiting for');
    first.child.kill('SIGKILL');
    await first.exited;
    await writeFile(join(tmp.dir, 'go'), '');
    expect(await second.exited).toBe(0);
    expect(second.output()).toMatch(/built\n$/);
    expect(await readFile(join(tmp.dir, 'image'), 'utf8')).toBe('second');
  });

  it('treats a lock left by a dead pid, or an unreadable lock, as stale', async () => {
    const lock = join(tmp.dir, 'l');
    await writeFile(lock, JSON.stringify({ pid: await deadPid(), host: hostname(), since: 0, token: 'x' }));
    expect(await withFileLock(lock, async () => 'ran', { pollMs: 10, timeoutMs: 5000 })).toBe('ran');
    await writeFile(lock, 'not json');
    expect(await withFileLock(lock, async () => 'ran again', { pollMs: 10, timeoutMs: 5000 })).toBe(
      'ran again',
    );
    expect(existsSync(lock)).toBe(false);
  });

  it('waits for a live holder, and for a recent lock from another host, instead of taking them', async () => {
    const lock = join(tmp.dir, 'l');
    let ran = false;
    const live = { pid: process.pid, host: hostname(), since: Date.now(), token: 'other' };
    await writeFile(lock, JSON.stringify(live));
    await expect(
      withFileLock(lock, async () => (ran = true), { pollMs: 10, timeoutMs: 100 }),
    ).rejects.toThrow(/timed out waiting for the lock .*held by pid/);
    await writeFile(lock, JSON.stringify({ ...live, pid: await deadPid(), host: 'elsewhere' }));
    await expect(
      withFileLock(lock, async () => (ran = true), { pollMs: 10, timeoutMs: 100 }),
    ).rejects.toThrow(/timed out/);
    expect(ran).toBe(false);
    expect(JSON.parse(await readFile(lock, 'utf8')).host).toBe('elsewhere');
  });

  it('releases the lock when the build throws', async () => {
    const lock = join(tmp.dir, 'l');
    await expect(withFileLock(lock, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lock)).toBe(false);
    expect(await withFileLock(lock, async () => 'next')).toBe('next');
  });
});
