/**
 * Many LLM-task sandboxes on one engine: 40 sessions — more than Docker's default address pools hold
 * (about 30 networks) — each get their own internal /28 network from the subnet pool; isolation
 * holds among them (the gateway port only: not another host port, not another sandbox); destroy and
 * the orphan sweep give every network, firewall rule and subnet back. Listeners probed are the
 * test's own, on addresses of networks this test created.
 */
import type { Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../server/logger/index.ts';
import { parseCidr, overlaps } from '../../server/config/index.ts';
import { SandboxManager } from '../../server/sandbox/index.ts';
import type { DockerDriver, DockerSession } from '../../server/sandbox/docker/driver.ts';
import { LABEL } from '../../server/sandbox/docker/hardening.ts';
import {
  closeServer,
  docker,
  dockerReady,
  firewallRules,
  freePort,
  greeter,
  limits,
  makeDriver,
  probe,
  spec,
} from './fixtures.ts';

const ready = await dockerReady();
const COUNT = 40;
const POOL = parseCidr('10.213.0.0/16')!;

describe.runIf(ready)(`${COUNT} LLM-task sandboxes on one engine`, () => {
  const instance = `netcap-test-${process.pid}`;
  let driver: DockerDriver;
  let gatewayPort: number;
  let sessions: DockerSession[] = [];
  const servers: Server[] = [];

  beforeAll(async () => {
    gatewayPort = await freePort();
    driver = await makeDriver(gatewayPort, { instance });
    // Eight at a time, as the manager's creation gate would (the engine is shared with other suites).
    for (let i = 0; i < COUNT; i += 8) {
      const batch = Array.from({ length: Math.min(8, COUNT - i) }, (_, j) =>
        driver.createSession(
          spec({ network: 'gateway', ownerId: `net-${i + j}`, limits: { ...limits, wallMs: 20_000 } }),
        ),
      );
      sessions.push(...(await Promise.all(batch)));
    }
  }, 240_000);

  afterAll(async () => {
    for (const s of servers) await closeServer(s);
    for (const s of sessions) await driver.destroy(s).catch(() => {});
  }, 120_000);

  it('gives every session its own internal /28 network from the pool', async () => {
    expect(sessions).toHaveLength(COUNT);
    const subnets = sessions.map((s) => s.subnet!);
    expect(new Set(subnets).size).toBe(COUNT);
    for (const cidr of subnets) {
      const r = parseCidr(cidr)!;
      expect(r.prefix, cidr).toBe(28);
      expect(overlaps(r, POOL), cidr).toBe(true);
    }
    const nets = await docker.listNetworks({ filters: { label: [`${LABEL}=${instance}`] } });
    expect(nets).toHaveLength(COUNT);
    for (const n of nets) expect(n.Internal).toBe(true);
    expect(driver.subnets.inUse).toBe(COUNT);
  });

  it('still reaches only the gateway port: not another host port, not another sandbox', async () => {
    const a = sessions[0]!;
    const b = sessions[COUNT - 1]!;
    const host = a.gatewayAddress!;
    const apiPort = await freePort();
    servers.push(await greeter(host, gatewayPort, 'hello-gateway'));
    // What the API (or any host service on the wildcard) looks like from the sandbox.
    servers.push(await greeter('0.0.0.0', apiPort, 'hello-api'));
    const bIp = (await b.container.inspect()).NetworkSettings.Networks[b.networkName!]!.IPAddress;

    let listening!: () => void;
    const up = new Promise<void>((resolve) => (listening = resolve));
    const peer = driver.exec(b, {
      argv: [
        'node',
        '-e',
        `require('net').createServer((s) => s.end('hello-peer')).listen(9000, '0.0.0.0', () => console.log('listening'))`,
      ],
      onStdout: (c) => c.toString().includes('listening') && listening(),
    });
    try {
      await up;
      const fromA = await probe(driver, a, [
        { host, port: gatewayPort },
        { host, port: apiPort },
        { host: b.gatewayAddress!, port: apiPort },
        { host: bIp, port: 9000 },
      ]);
      expect(fromA[`${host}:${gatewayPort}`]).toBe('data:hello-gateway');
      expect(fromA[`${host}:${apiPort}`]).not.toMatch(/^data:/);
      expect(fromA[`${b.gatewayAddress}:${apiPort}`]).not.toMatch(/^data:/);
      expect(fromA[`${bIp}:9000`]).not.toMatch(/^data:/);
      // B's listener answers on its own network: A's refusal is isolation, not a dead listener.
      expect(await probe(driver, b, [{ host: bIp, port: 9000 }])).toEqual({
        [`${bIp}:9000`]: 'data:hello-peer',
      });
    } finally {
      peer.cancel();
      await peer.result;
    }
  }, 60_000);

  it('destroy and the orphan sweep give back every network, firewall rule and subnet', async () => {
    const bridges = sessions.map((s) => s.bridge!);
    const half = sessions.slice(0, COUNT / 2);
    for (const s of half) await driver.destroy(s);
    expect(driver.subnets.inUse).toBe(COUNT / 2);
    for (const s of half)
      await expect(docker.getNetwork(s.networkName!).inspect()).rejects.toMatchObject({ statusCode: 404 });

    // The rest are orphans to a manager that does not hold them (as after a crash and restart).
    const manager = new SandboxManager({
      driver,
      logger: silentLogger,
      limits,
      poolSize: 0,
      warmEnvs: [],
      maxConcurrent: 1,
    });
    expect(await manager.removeOrphans()).toBe(COUNT / 2);
    sessions = [];
    expect(driver.subnets.inUse).toBe(0);
    expect(await docker.listNetworks({ filters: { label: [`${LABEL}=${instance}`] } })).toEqual([]);
    const rules = await firewallRules();
    for (const bridge of bridges) expect(rules).not.toContain(`-i ${bridge} `);

    // The pool is whole again: a new session gets a subnet.
    const again = await driver.createSession(spec({ network: 'gateway', ownerId: 'net-again' }));
    sessions.push(again);
    expect(again.subnet).toMatch(/^10\.213\.\d+\.\d+\/28$/);
  }, 180_000);
});
