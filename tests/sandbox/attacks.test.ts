/**
 * The attack corpus against the real DockerDriver: what hostile candidate code tries, the verdict it
 * gets, and proof the host (and the next run in the same container) is unaffected. Also the tar
 * boundary (packFiles/unpackFiles) with hand-crafted archives, and orphan removal after a crash.
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pack as tarPack, extract as tarExtract, type Header } from 'tar-stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../server/logger/index.ts';
import { packFiles, unpackFiles } from '../../server/sandbox/docker/archive.ts';
import type { DockerDriver, DockerSession } from '../../server/sandbox/docker/driver.ts';
import { SandboxManager } from '../../server/sandbox/manager.ts';
import { truncationMarker } from '../../server/sandbox/output.ts';
import type { SandboxDriver } from '../../server/sandbox/types.ts';
import {
  bridgeOf,
  containerProcesses,
  docker,
  dockerReady,
  expectContainerClean,
  expectHostFine,
  firewallRules,
  limits,
  makeDriver,
  run,
  sh,
  spec,
} from './fixtures.ts';

const useDocker = await dockerReady();

/**
 * A reader of the session's pids.events "max" counter (forks refused at the limit), from the host's
 * cgroup filesystem — readable while the pids limit is exhausted, when no exec can start inside.
 * Undefined when the engine is not on this machine (or uses a layout this does not know).
 */
async function hostPidsEvents(s: DockerSession): Promise<(() => Promise<number>) | undefined> {
  const pid = (await s.container.inspect()).State.Pid;
  const cgroups = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  const v1 = /^\d+:pids:(.*)$/m.exec(cgroups)?.[1];
  const v2 = /^0::(.*)$/m.exec(cgroups)?.[1];
  const file = v1 ? `/sys/fs/cgroup/pids${v1}/pids.events` : v2 ? `/sys/fs/cgroup${v2}/pids.events` : '';
  if (!file || !(await readFile(file, 'utf8').catch(() => ''))) return undefined;
  return async () => Number(/max (\d+)/.exec(await readFile(file, 'utf8'))?.[1]);
}

describe.runIf(useDocker)('attacks on a docker sandbox', () => {
  let driver: DockerDriver;
  let session: DockerSession;

  beforeAll(async () => {
    driver = await makeDriver();
    session = await driver.createSession(spec());
  });

  afterAll(async () => {
    if (session) await driver.destroy(session);
  });

  // Every attack leaves the shared container usable and empty of candidate processes.
  afterEach(async () => {
    await driver.stopProcesses(session);
    await sh(driver, session, 'rm -rf /workspace/* /workspace/.[!.]* /tmp/* 2>/dev/null; true');
  });

  describe('resource exhaustion', () => {
    it('fork bomb: refused at the pids limit, never above it, stopped, and the container is usable afterwards', async () => {
      // Its own session with a generous wall clock: python may start slowly on a loaded machine, and
      // the checks below wait for the bomb's own report rather than for time to pass.
      const s = await driver.createSession(spec({ limits: { ...limits, wallMs: 60_000 } }));
      try {
        const events = await hostPidsEvents(s);
        const refusedBefore = events ? await events() : 0;
        let reported!: () => void;
        const refusal = new Promise<void>((resolve) => (reported = resolve));
        // Every process keeps forking and keeps trying when the kernel refuses; the first process
        // says so the first time its fork is refused (EAGAIN: the cgroup's pids limit).
        const bomb = driver.exec(s, {
          argv: [
            'python3',
            '-c',
            [
              'import errno, os',
              'root, told = os.getpid(), False',
              'while True:',
              '    try: os.fork()',
              '    except OSError as e:',
              '        if not told and os.getpid() == root and e.errno == errno.EAGAIN:',
              "            told = True; print('refused', flush=True)",
            ].join('\n'),
          ],
          onStdout: (c) => c.toString().includes('refused') && reported(),
        });
        await Promise.race([refusal, bomb.result]);
        // While the bomb runs: at the limit, never above it, and the kernel counted refusals.
        const during = await containerProcesses(s);
        expect(during.length).toBeGreaterThan(limits.pids / 2);
        expect(during.length).toBeLessThanOrEqual(limits.pids);
        if (events) expect(await events()).toBeGreaterThan(refusedBefore);
        bomb.cancel();
        const r = await bomb.result;
        expect(r.stdout.text).toContain('refused');
        expect(r.verdict).toBe('cancelled');
        expect(r.cleanup).toEqual({ ok: true });
        await expectHostFine();
        await expectContainerClean(driver, s);
      } finally {
        await driver.destroy(s);
      }
    });

    it('memory bomb: out-of-memory', async () => {
      const r = await run(driver, session, [
        'node',
        '-e',
        'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));',
      ]);
      expect(r.verdict).toBe('out-of-memory');
      expect(r.exitCode).toBe(137);
      await expectHostFine();
      await expectContainerClean(driver, session);
    });

    it('busy loop: timeout', async () => {
      const r = await run(driver, session, ['node', '-e', 'for (;;) {}']);
      expect(r.verdict).toBe('timeout');
      expect(r.durationMs).toBeGreaterThanOrEqual(limits.wallMs);
      await expectHostFine();
      await expectContainerClean(driver, session);
    });

    it('sleeping forever: timeout', async () => {
      const r = await run(driver, session, ['sleep', 'infinity']);
      expect(r.verdict).toBe('timeout');
      await expectContainerClean(driver, session);
    });

    it('output flood: output-limit, the kept text capped and marked', async () => {
      const r = await run(driver, session, ['yes', 'flood']);
      expect(r.verdict).toBe('output-limit');
      expect(r.stdout.truncated).toBe(true);
      expect(r.stdout.bytes).toBeGreaterThan(limits.outputBytes);
      const marker = truncationMarker(limits.outputBytes);
      expect(r.stdout.text.endsWith(marker)).toBe(true);
      expect(Buffer.byteLength(r.stdout.text) - Buffer.byteLength(marker)).toBeLessThanOrEqual(
        limits.outputBytes,
      );
      expect(r.stdout.text.startsWith('flood\nflood\n')).toBe(true);
      await expectHostFine();
      await expectContainerClean(driver, session);
    });

    it.each(['/workspace', '/tmp'])('disk fill of %s: error, ENOSPC', async (dir) => {
      const r = await sh(
        driver,
        session,
        `i=0; while [ $i -lt 50 ]; do i=$((i+1)); head -c 1000000 /dev/zero > ${dir}/fill$i || exit 1; done`,
      );
      expect(r.verdict).toBe('error');
      expect(r.stderr.text).toMatch(/No space left on device/);
      await expectHostFine();
      await expectContainerClean(driver, session);
    });
  });

  describe('escaping the workspace', () => {
    it('writing to /etc, / and /usr is refused', async () => {
      const r = await sh(
        driver,
        session,
        'for p in /etc/pwned /pwned /usr/pwned; do (echo x > $p) 2>&1; done; exit 1',
      );
      expect(r.stdout.text.trim().split('\n')).toHaveLength(3);
      expect(r.stdout.text).toMatch(/\/etc\/pwned: .*(Read-only file system|Permission denied)/);
      expect(r.stdout.text).toMatch(/\/pwned: .*(Read-only file system|Permission denied)/);
      expect(r.stdout.text).toMatch(/\/usr\/pwned: .*(Read-only file system|Permission denied)/);
      const left = await sh(driver, session, 'ls /etc/pwned /pwned /usr/pwned 2>/dev/null; true');
      expect(left.stdout.text).toBe('');
    });

    it('reading the environment finds nothing of the server', async () => {
      const secret = 'sk-test-attacks-5e8b2c1d9f0a';
      const saved = process.env.OPENAI_API_KEY;
      process.env.OPENAI_API_KEY = secret;
      const s = await driver.createSession(spec());
      try {
        const r = await sh(
          driver,
          s,
          'env; cat /proc/1/environ /proc/*/environ 2>/dev/null | tr "\\0" "\\n"',
        );
        expect(r.stdout.text).toContain('PATH=');
        expect(r.stdout.text).not.toContain(secret);
        expect(r.stdout.text).not.toContain('OPENAI_API_KEY');
        // Nothing that looks like a credential in the test process's own environment either.
        for (const [k, v] of Object.entries(process.env))
          if (v && v.length >= 8 && /KEY|SECRET|TOKEN|PASSWORD|DATABASE_URL/i.test(k))
            expect(r.stdout.text, k).not.toContain(v);
      } finally {
        if (saved === undefined) delete process.env.OPENAI_API_KEY;
        else process.env.OPENAI_API_KEY = saved;
        await driver.destroy(s);
      }
    });
  });

  describe('processes that try to outlive their run', () => {
    it.each([
      ['background job holding the output', 'sleep 1000 & echo started'],
      ['background job with output detached', 'sleep 1001 >/dev/null 2>&1 & echo started'],
      ['nohup', 'nohup sleep 1002 >/dev/null 2>&1 & echo started'],
      ['setsid', 'setsid sleep 1003 >/dev/null 2>&1 < /dev/null & echo started'],
      ['double fork', '( (sleep 1004 >/dev/null 2>&1 &) & ); echo started'],
    ])('%s: gone after stopProcesses', async (_name, script) => {
      const r = await sh(driver, session, script);
      expect(r.stdout.text).toContain('started');
      await driver.stopProcesses(session);
      await expectContainerClean(driver, session);
    });

    it('stopProcesses during a run ends the run and everything it started', async () => {
      let started!: () => void;
      const ready = new Promise<void>((resolve) => (started = resolve));
      const running = driver.exec(session, {
        argv: ['sh', '-c', 'setsid sleep 1005 >/dev/null 2>&1 < /dev/null & sleep 1006 & echo started; wait'],
        onStdout: (c) => c.toString().includes('started') && started(),
      });
      await ready;
      // The shell forks both sleeps before it echoes, but a child may not have exec'd yet: wait for both.
      await expect
        .poll(async () => (await containerProcesses(session)).map((p) => p.args), { timeout: 10_000 })
        .toEqual(expect.arrayContaining(['sleep 1005', 'sleep 1006']));
      await driver.stopProcesses(session);
      const r = await running.result;
      expect(r.verdict).toBe('error');
      expect(r.durationMs).toBeLessThan(limits.wallMs);
      await expectContainerClean(driver, session);
    });
  });

  describe('symlinks and hostile names at the copy boundary', () => {
    it('getFiles returns no planted symlink and nothing of /etc/passwd', async () => {
      const r = await sh(
        driver,
        session,
        'ln -s /etc/passwd leak; ln -s / root; ln -s ../../etc up; mkdir d; ln -s /etc/passwd d/leak2; echo safe > real.txt',
      );
      expect(r.verdict, r.stderr.text).toBe('ok');
      const files = await driver.getFiles(session);
      expect(files.map((f) => f.path)).toEqual(['real.txt']);
      for (const f of files) expect(f.content.toString()).not.toMatch(/root:x:0:0/);
      for (const under of ['leak', 'root', 'up', 'root/etc', 'up/passwd', 'd/leak2']) {
        const got = await driver.getFiles(session, { under });
        expect(got.map((f) => f.path).slice(0, 5), `under ${under}`).toEqual([]);
      }
    });

    it('getFiles under a regular file returns that file', async () => {
      await driver.putFiles(session, [{ path: 'report.xml', content: Buffer.from('<testsuites/>') }]);
      const got = await driver.getFiles(session, { under: 'report.xml' });
      expect(got.map((f) => [f.path, f.content.toString()])).toEqual([['report.xml', '<testsuites/>']]);
    });

    it('putFiles does not follow a planted symlink directory', async () => {
      const r = await sh(driver, session, 'ln -s /tmp evil; ln -s /tmp evil2');
      expect(r.verdict).toBe('ok');
      const put = driver.putFiles(session, [
        { path: 'evil/x', content: Buffer.from('dropped') },
        { path: 'evil2/sub/y', content: Buffer.from('dropped') },
      ]);
      const refused = await put.then(
        () => false,
        () => true,
      );
      const inTmp = await sh(driver, session, 'ls -A /tmp');
      expect(inTmp.stdout.text).toBe('');
      if (!refused) {
        // Accepted: then the symlinks were replaced by real folders inside the workspace.
        const where = await sh(driver, session, 'find /workspace -type f | sort; find /workspace -type l');
        expect(where.stdout.text).toBe('/workspace/evil/x\n/workspace/evil2/sub/y\n');
      }
    });

    it.each([
      ['..', '../x'],
      ['a .. segment', 'a/../../x'],
      ['an absolute path', '/etc/x'],
      ['a control character', 'a\u0001b'],
      ['a newline', 'a\nb'],
      ['a NUL', 'a\u0000b'],
    ])('putFiles refuses a name with %s', async (_what, path) => {
      await expect(driver.putFiles(session, [{ path, content: Buffer.from('x') }])).rejects.toThrow(
        /refusing/,
      );
      await expect(driver.putFiles(session, [], [path])).rejects.toThrow(/refusing/);
      const listing = await sh(driver, session, 'ls -A /workspace; ls -A / | grep -x x; true');
      expect(listing.stdout.text).toBe('');
    });
  });
});

describe('tar boundary (packFiles / unpackFiles)', () => {
  /** A getArchive-like stream of `workspace/`, with hostile entries among two safe files. */
  function hostileArchive(): Readable {
    const p = tarPack();
    const add = (header: Partial<Header> & Pick<Header, 'name'>, content?: string) =>
      content === undefined ? p.entry(header) : p.entry(header, content);
    add({ name: 'workspace/', type: 'directory' });
    add({ name: 'workspace/ok.txt', type: 'file' }, 'safe');
    add({ name: 'workspace/sub/', type: 'directory' });
    add({ name: 'workspace/sub/deep.txt', type: 'file' }, 'deep');
    add({ name: '../x', type: 'file' }, 'dotdot');
    add({ name: 'workspace/../x', type: 'file' }, 'dotdot');
    add({ name: '/abs', type: 'file' }, 'abs');
    add({ name: '/workspace/abs', type: 'file' }, 'abs');
    add({ name: 'workspace/hard', type: 'link', linkname: '/etc/passwd' });
    add({ name: 'workspace/dev', type: 'character-device', devmajor: 1, devminor: 3 });
    add({ name: 'workspace/sym', type: 'symlink', linkname: '/etc/passwd' });
    add({ name: 'workspace/symdir', type: 'symlink', linkname: '/' });
    add({ name: 'workspace/fifo', type: 'fifo' });
    add({ name: 'workspace/ctl\u0001', type: 'file' }, 'ctl');
    add({ name: 'other/x', type: 'file' }, 'outside the prefix');
    p.finalize();
    return p as unknown as Readable;
  }

  it('unpackFiles keeps only safe regular files', async () => {
    const { files, skipped } = await unpackFiles(hostileArchive(), {
      prefix: 'workspace',
      maxBytes: 1 << 20,
    });
    expect(files.map((f) => [f.path, f.content.toString()])).toEqual([
      ['ok.txt', 'safe'],
      ['sub/deep.txt', 'deep'],
    ]);
    expect(skipped).toHaveLength(11);
  });

  it('unpackFiles stops at maxBytes', async () => {
    const { files, truncated } = await unpackFiles(hostileArchive(), { prefix: 'workspace', maxBytes: 4 });
    expect(files.map((f) => f.path)).toEqual(['ok.txt']);
    expect(truncated).toBe(true);
  });

  it.each(['../x', '/abs', 'a/../b', 'a\u0001b', 'a\\b', ''])('packFiles refuses %j', (path) => {
    expect(() => packFiles([{ path, content: Buffer.from('x') }], 1000)).toThrow(/refusing/);
  });

  it('packFiles writes only directories and regular files owned by the uid', async () => {
    const archive = packFiles(
      [
        { path: 'a/b/c.txt', content: Buffer.from('c') },
        { path: 'top.txt', content: Buffer.from('t') },
      ],
      1000,
    );
    const entries: Array<Pick<Header, 'name' | 'type' | 'uid' | 'gid'>> = [];
    const ex = tarExtract();
    ex.on('entry', (h, stream, next) => {
      entries.push({ name: h.name, type: h.type, uid: h.uid, gid: h.gid });
      stream.on('end', next);
      stream.resume();
    });
    await new Promise<void>((resolve, reject) => {
      ex.on('finish', resolve);
      ex.on('error', reject);
      archive.pipe(ex);
    });
    expect(entries).toEqual([
      { name: 'a/', type: 'directory', uid: 1000, gid: 1000 },
      { name: 'a/b/', type: 'directory', uid: 1000, gid: 1000 },
      { name: 'a/b/c.txt', type: 'file', uid: 1000, gid: 1000 },
      { name: 'top.txt', type: 'file', uid: 1000, gid: 1000 },
    ]);
  });
});

describe.runIf(useDocker)('orphaned sandboxes', () => {
  let driver: DockerDriver;
  const created: DockerSession[] = [];

  beforeAll(async () => {
    driver = await makeDriver();
  });

  afterAll(async () => {
    for (const s of created) await driver.destroy(s);
  });

  it('removeOrphans removes a session no manager holds: container, volume, network and firewall rules', async () => {
    const tag = `orphan-test-${process.pid}-${Date.now()}`;
    const orphan = await driver.createSession(spec({ ownerId: `${tag}-crashed`, network: 'gateway' }));
    created.push(orphan);
    const bridge = await bridgeOf(orphan.networkName!);
    expect(await firewallRules()).toContain(`-i ${bridge} `);

    // Scoped to this test's owners: other suites run their own sandboxes on this engine right now.
    const listOrphans = vi.fn(async (isLive: (id: string) => boolean) =>
      (await driver.listOrphans(isLive)).filter((o) => o.ownerId.startsWith(tag)),
    );
    const scoped: SandboxDriver = Object.assign(Object.create(driver) as DockerDriver, { listOrphans });
    const manager = new SandboxManager({
      driver: scoped,
      logger: silentLogger,
      limits,
      poolSize: 0,
      warmEnvs: [],
      maxConcurrent: 1,
    });
    try {
      const live = await manager.forAttempt(`${tag}-live`, 'node', 'none');
      created.push(live.session as DockerSession);

      expect(await manager.removeOrphans()).toBe(1);
      const found = await listOrphans.mock.results[0]!.value;
      expect(found).toEqual([{ id: orphan.id, ownerId: `${tag}-crashed`, purpose: 'test' }]);

      await expect(orphan.container.inspect()).rejects.toMatchObject({ statusCode: 404 });
      await expect(docker.getVolume(orphan.volume).inspect()).rejects.toMatchObject({ statusCode: 404 });
      await expect(docker.getNetwork(orphan.networkName!).inspect()).rejects.toMatchObject({
        statusCode: 404,
      });
      // The live attempt's sandbox is untouched.
      const still = await (live.session as DockerSession).container.inspect();
      expect(still.State.Running).toBe(true);
    } finally {
      await manager.close();
    }
  });
});
