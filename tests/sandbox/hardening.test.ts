/**
 * The hardening list of server/sandbox/docker/hardening.ts, line by line, on the real Docker engine
 * through the real DockerDriver: each line is checked in the container's inspect data and, where it
 * can be observed, from inside the container. Network tests only talk to listeners this file starts,
 * on loopback or on the addresses of the networks its sessions created.
 */
import type { Server } from 'node:net';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerDriver, DockerSession } from '../../server/sandbox/docker/driver.ts';
import { CHAIN } from '../../server/sandbox/docker/firewall.ts';
import {
  bridgeOf,
  closeServer,
  docker,
  dockerReady,
  expectHostFine,
  firewallRules,
  freePort,
  greeter,
  limits,
  makeDriver,
  MiB,
  probe,
  run,
  sh,
  spec,
} from './fixtures.ts';

const useDocker = await dockerReady();

const secrets = {
  WORKSAMPLE_TEST_SECRET: 'ws-secret-3f9c1a7e5b2d',
  OPENAI_API_KEY: 'sk-test-hardening-7d1e4c9a0b3f',
};

describe.runIf(useDocker)('sandbox hardening (network none)', () => {
  let driver: DockerDriver;
  let session: DockerSession;
  let info: Docker.ContainerInspectInfo;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    // Secrets in the server's environment before the session exists: none may reach the container.
    for (const [k, v] of Object.entries(secrets)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    driver = await makeDriver();
    session = await driver.createSession(spec());
    info = await session.container.inspect();
  });

  afterAll(async () => {
    if (session) await driver.destroy(session);
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const status = async (field: string) => {
    const r = await run(driver, session, ['grep', `^${field}:`, '/proc/self/status']);
    expect(r.verdict, r.stderr.text).toBe('ok');
    return r.stdout.text.split(':')[1]!.trim();
  };

  it('runs candidate code as uid 1000, and the container itself not as root', async () => {
    expect(info.Config.User).toBe('1001:1001');
    const r = await run(driver, session, ['id', '-u']);
    expect(r).toMatchObject({ verdict: 'ok', stdout: { text: '1000\n' } });
  });

  it('drops every capability', async () => {
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.CapAdd ?? []).toEqual([]);
    expect(info.HostConfig.Privileged).toBe(false);
    expect(await status('CapEff')).toBe('0000000000000000');
    expect(await status('CapBnd')).toBe('0000000000000000');
  });

  it('sets no-new-privileges', async () => {
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
    expect(await status('NoNewPrivs')).toBe('1');
  });

  it("applies a seccomp filter (worksample's own profile: tests/sandbox/seccomp.test.ts)", async () => {
    expect(info.HostConfig.SecurityOpt ?? []).not.toContainEqual(
      expect.stringMatching(/seccomp[=:]unconfined/),
    );
    expect(await status('Seccomp')).toBe('2'); // SECCOMP_MODE_FILTER
  });

  it('mounts the root filesystem read-only', async () => {
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    // /home/sandbox belongs to the candidate uid, so only a read-only root can refuse this write.
    const r = await sh(
      driver,
      session,
      'for p in /etc/x /usr/x /home/sandbox/x; do (echo x > $p) 2>&1; done; exit 1',
    );
    expect(r.stdout.text).toMatch(/\/etc\/x: .*(Read-only file system|Permission denied)/);
    expect(r.stdout.text).toMatch(/\/usr\/x: .*(Read-only file system|Permission denied)/);
    expect(r.stdout.text).toMatch(/\/home\/sandbox\/x: .*Read-only file system/);
    const check = await sh(driver, session, 'ls /etc/x /usr/x /home/sandbox/x 2>/dev/null; true');
    expect(check.stdout.text).toBe('');
  });

  it('gives /workspace and /tmp sized tmpfs filesystems; filling the workspace fails with ENOSPC', async () => {
    const vol = await docker.getVolume(session.volume).inspect();
    expect(vol.Options).toMatchObject({ type: 'tmpfs', device: 'tmpfs' });
    expect(vol.Options?.o).toContain(`size=${limits.workspaceBytes}`);
    expect(info.HostConfig.Tmpfs).toEqual({ '/tmp': expect.stringContaining(`size=${limits.tmpBytes}`) });

    const df = await run(driver, session, ['df', '-B1', '--output=target,size,fstype', '/workspace', '/tmp']);
    const rows = df.stdout.text
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/));
    expect(rows).toEqual([
      ['/workspace', String(limits.workspaceBytes), 'tmpfs'],
      ['/tmp', String(limits.tmpBytes), 'tmpfs'],
    ]);

    // Files under the 1 MiB fsize limit, so only the filesystem size can stop the loop.
    const fill = await sh(
      driver,
      session,
      'i=0; while [ $i -lt 20 ]; do i=$((i+1)); head -c 1000000 /dev/zero > fill$i || exit 1; done',
    );
    try {
      expect(fill.verdict).toBe('error');
      expect(fill.stderr.text).toMatch(/No space left on device/);
      await expectHostFine();
    } finally {
      await sh(driver, session, 'rm -f fill*');
    }
  });

  it('caps the number of processes', async () => {
    expect(info.HostConfig.PidsLimit).toBe(limits.pids);
    const r = await sh(
      driver,
      session,
      'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max',
    );
    expect(r.stdout.text.trim()).toBe(String(limits.pids));
  });

  it('limits memory with no swap (Memory == MemorySwap)', async () => {
    expect(info.HostConfig.Memory).toBe(limits.memoryBytes);
    expect(info.HostConfig.MemorySwap).toBe(limits.memoryBytes);
    const r = await sh(
      driver,
      session,
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max',
    );
    expect(r.stdout.text.trim()).toBe(String(limits.memoryBytes));
  });

  it('limits CPU (NanoCpus)', async () => {
    expect(info.HostConfig.NanoCpus).toBe(limits.cpus * 1e9);
    const r = await sh(
      driver,
      session,
      'q=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null) && p=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us) && echo "$q $p" || cat /sys/fs/cgroup/cpu.max',
    );
    const [quota, period] = r.stdout.text.trim().split(' ').map(Number);
    expect(quota! / period!).toBe(limits.cpus);
  });

  it('sets the nofile, fsize and core ulimits', async () => {
    expect(info.HostConfig.Ulimits).toEqual(
      expect.arrayContaining([
        { Name: 'nofile', Soft: limits.openFiles, Hard: limits.openFiles },
        { Name: 'fsize', Soft: limits.fileSizeBytes, Hard: limits.fileSizeBytes },
        { Name: 'core', Soft: 0, Hard: 0 },
      ]),
    );
    // dash reports -f in 512-byte blocks.
    const r = await sh(driver, session, 'ulimit -n; ulimit -f; ulimit -c');
    expect(r.stdout.text).toBe(`${limits.openFiles}\n${limits.fileSizeBytes / 512}\n0\n`);
    // A file past fsize is cut off (SIGXFSZ), however much room the filesystem has.
    const big = await sh(
      driver,
      session,
      `head -c ${2 * MiB} /dev/zero > /tmp/big; s=$?; stat -c %s /tmp/big; rm -f /tmp/big; exit $s`,
    );
    expect(big.verdict).toBe('error');
    expect(big.stdout.text.trim()).toBe(String(limits.fileSizeBytes));
  });

  it('mounts only the workspace volume: no host bind mounts, no Docker socket', async () => {
    expect(info.HostConfig.Binds ?? []).toEqual([]);
    expect(info.Mounts).toEqual([
      expect.objectContaining({ Type: 'volume', Name: session.volume, Destination: '/workspace' }),
    ]);
    expect(info.Mounts.filter((m) => m.Type === 'bind')).toEqual([]);
    const r = await sh(
      driver,
      session,
      'for p in /var/run/docker.sock /run/docker.sock; do test -e $p && echo present $p; done; true',
    );
    expect(r.stdout.text).toBe('');
  });

  it('carries nothing from the server environment', async () => {
    const values = Object.values(secrets);
    for (const v of values) expect(info.Config.Env.join('\n')).not.toContain(v);
    expect(info.Config.Env.map((e) => e.split('=')[0])).not.toContain('OPENAI_API_KEY');
    const r = await run(driver, session, ['env']);
    expect(r.verdict).toBe('ok');
    expect(r.stdout.text).not.toMatch(/WORKSAMPLE_TEST_SECRET|OPENAI_API_KEY/);
    for (const v of values) expect(r.stdout.text).not.toContain(v);
  });

  it('has no network (NetworkMode none, only the loopback interface)', async () => {
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(Object.keys(info.NetworkSettings.Networks).filter((n) => n !== 'none')).toEqual([]);
    const r = await run(driver, session, ['cat', '/proc/net/dev']);
    const ifaces = r.stdout.text
      .split('\n')
      .slice(2)
      .map((l) => l.split(':')[0]!.trim())
      .filter(Boolean);
    expect(ifaces).toEqual(['lo']);
  });
});

describe.runIf(useDocker)('sandbox hardening (gateway network)', () => {
  let driver: DockerDriver;
  let gatewayPort: number;
  const sessions: DockerSession[] = [];
  const servers: Server[] = [];

  beforeAll(async () => {
    gatewayPort = await freePort();
    driver = await makeDriver(gatewayPort);
  });

  afterAll(async () => {
    for (const s of servers) await closeServer(s);
    for (const s of sessions) await driver.destroy(s);
  });

  const gatewaySession = async () => {
    const s = await driver.createSession(spec({ network: 'gateway' }));
    sessions.push(s);
    return s;
  };

  it('puts the session on its own internal network with a gateway address', async () => {
    const s = await gatewaySession();
    expect(s.networkName).toBeDefined();
    expect(s.gatewayAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const info = await s.container.inspect();
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([s.networkName]);
    const net = await docker.getNetwork(s.networkName!).inspect();
    expect(net.Internal).toBe(true);
  });

  it('admits only the gateway port through the host firewall for the session bridge', async () => {
    const s = sessions[0] ?? (await gatewaySession());
    const bridge = await bridgeOf(s.networkName!);
    const rules = (await firewallRules()).split('\n').filter((l) => l.includes(`-i ${bridge} `));
    expect(rules).toEqual([
      `-A ${CHAIN} -i ${bridge} -p tcp -m tcp --dport ${gatewayPort} -j ACCEPT`,
      `-A ${CHAIN} -i ${bridge} -j DROP`,
    ]);
  });

  it('reaches the gateway port, but not another port on the same host address, nor host loopback', async () => {
    const s = sessions[0] ?? (await gatewaySession());
    const host = s.gatewayAddress!;
    const mainPort = await freePort();
    const loopbackPort = await freePort();
    servers.push(await greeter(host, gatewayPort, 'hello-gateway'));
    servers.push(await greeter(host, mainPort, 'hello-main-api'));
    servers.push(await greeter('127.0.0.1', loopbackPort, 'hello-loopback'));

    const results = await probe(driver, s, [
      { host, port: gatewayPort },
      { host, port: mainPort },
      { host: '127.0.0.1', port: loopbackPort },
    ]);
    expect(results[`${host}:${gatewayPort}`]).toBe('data:hello-gateway');
    expect(results[`${host}:${mainPort}`]).not.toMatch(/^data:/);
    expect(results[`127.0.0.1:${loopbackPort}`]).not.toMatch(/^data:/);
    await expectHostFine();
  });

  it('keeps two gateway sessions apart', async () => {
    // A's listener runs as a live run (the driver ends background processes with their run).
    const a = await driver.createSession(spec({ network: 'gateway', limits: { ...limits, wallMs: 30_000 } }));
    sessions.push(a);
    const b = await gatewaySession();
    expect(a.networkName).not.toBe(b.networkName);
    const aInfo = await a.container.inspect();
    const aIp = aInfo.NetworkSettings.Networks[a.networkName!]!.IPAddress;
    expect(aIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    let listening!: () => void;
    const ready = new Promise<void>((resolve) => (listening = resolve));
    const server = driver.exec(a, {
      argv: [
        'node',
        '-e',
        `require('net').createServer((s) => s.end('hello-from-a')).listen(9000, '0.0.0.0', () => console.log('listening'))`,
      ],
      onStdout: (c) => c.toString().includes('listening') && listening(),
    });
    try {
      await ready;
      const fromB = await probe(driver, b, [{ host: aIp, port: 9000 }]);
      expect(fromB[`${aIp}:9000`]).not.toMatch(/^data:/);
      // Still answering on A's own address: B's refusal is isolation, not a dead listener.
      expect(await probe(driver, a, [{ host: aIp, port: 9000 }])).toEqual({
        [`${aIp}:9000`]: 'data:hello-from-a',
      });
    } finally {
      server.cancel();
      await server.result;
    }
  });

  it('removes the network and its firewall rules on destroy', async () => {
    const s = await gatewaySession();
    const bridge = await bridgeOf(s.networkName!);
    expect(await firewallRules()).toContain(`-i ${bridge} `);
    await driver.destroy(s);
    sessions.splice(sessions.indexOf(s), 1);
    await expect(docker.getNetwork(s.networkName!).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(s.container.inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.getVolume(s.volume).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await firewallRules()).not.toContain(`-i ${bridge} `);
  });
});
