/**
 * The local driver against a few attacks of the Docker corpus (tests/sandbox/attacks.test.ts) that it
 * does claim to stop: runaway runs (wall clock), output floods (caps), background processes (killed
 * with the run's process group) and symlinks planted in the workspace (never followed).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../logger/index.ts';
import { truncationMarker } from '../output.ts';
import { defaultLimits, type SandboxLimits, type SandboxSession } from '../types.ts';
import { LocalDriver } from './driver.ts';

const limits: SandboxLimits = { ...defaultLimits, wallMs: 1000, outputBytes: 16 * 1024 };

/** True while the process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('local driver under attack', () => {
  const driver = new LocalDriver({ logger: silentLogger, useBwrap: false });
  let session: SandboxSession;

  beforeEach(async () => {
    session = await driver.createSession({
      env: 'node',
      purpose: 'test',
      ownerId: 'local-attacks',
      limits,
      network: 'none',
    });
  });

  afterEach(async () => {
    await driver.destroy(session);
  });

  const run = (argv: string[]) => driver.exec(session, { argv }).result;

  it('stops a busy loop at the wall clock', async () => {
    const r = await run(['sh', '-c', 'while :; do :; done']);
    expect(r.verdict).toBe('timeout');
    expect(r.durationMs).toBeGreaterThanOrEqual(limits.wallMs - 50);
    expect(r.durationMs).toBeLessThan(limits.wallMs + 3000);
  });

  it('stops an output flood at the cap, keeping capped, marked text', async () => {
    const r = await run(['yes', 'flood']);
    expect(r.verdict).toBe('output-limit');
    expect(r.stdout.bytes).toBeGreaterThan(limits.outputBytes);
    const marker = truncationMarker(limits.outputBytes);
    expect(r.stdout.text.endsWith(marker)).toBe(true);
    expect(Buffer.byteLength(r.stdout.text) - Buffer.byteLength(marker)).toBeLessThanOrEqual(
      limits.outputBytes,
    );
  });

  it.each([
    ['output detached', 'sleep 1000 >/dev/null 2>&1 & echo $!'],
    ['holding the output', 'sleep 1000 & echo $!'],
  ])('kills a background process (%s) with its run', async (_what, script) => {
    const r = await run(['sh', '-c', script]);
    const pid = Number(r.stdout.text.trim());
    expect(pid).toBeGreaterThan(1);
    await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 2000, interval: 20 });
  });

  it('kills a setsid daemon whose parent shell was killed: gone when the run ends', async () => {
    // The daemon leaves the run's process group; only the environment sweep can find it.
    const r = await run([
      'sh',
      '-c',
      "setsid sh -c 'while :; do echo x >> beat; sleep 0.05; done' >/dev/null 2>&1 & echo $!; sleep 0.3; kill -9 $$",
    ]);
    expect(r.cleanup).toEqual({ ok: true });
    const pid = Number(r.stdout.text.trim());
    expect(pid).toBeGreaterThan(1);
    expect(alive(pid)).toBe(false);
    const beat = () => readFileSync(path.join(session.id, 'workspace', 'beat')).length;
    const before = beat();
    expect(before).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(beat()).toBe(before);
  });

  it('does not follow planted symlinks in putFiles or getFiles', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'ws-local-outside-'));
    try {
      const planted = await run([
        'sh',
        '-c',
        `ln -s ${outside} evil; ln -s /etc/passwd leak; ln -s / root; ln -s ../../etc up; echo safe > real.txt`,
      ]);
      expect(planted.verdict, planted.stderr.text).toBe('ok');

      await expect(
        driver.putFiles(session, [{ path: 'evil/x', content: Buffer.from('dropped') }]),
      ).rejects.toThrow(/symlink/);
      expect(await readdir(outside)).toEqual([]);

      const files = await driver.getFiles(session);
      expect(files.map((f) => f.path)).toEqual(['real.txt']);
      for (const under of ['root', 'up', 'leak']) {
        const got = await driver.getFiles(session, { under }).catch(() => []);
        expect(got, `under ${under}`).toEqual([]);
      }
      const nested = await driver.getFiles(session, { under: 'root/etc' }).catch(() => []);
      expect(nested.map((f) => f.path)).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
