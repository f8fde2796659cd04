/**
 * Gateway networks with a fake engine: subnets come from the pool, an overlap with a network created
 * by someone else meanwhile is retried on another subnet, and a subnet is given back in every error
 * path of createSession and on destroy.
 */
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../logger/index.ts';
import { defaultLimits, isResourceShortage, type SessionSpec } from '../types.ts';
import { DockerDriver, type DockerSession } from './driver.ts';
import { asShortage } from './shortage.ts';

interface FakeNet {
  name: string;
  subnet: string;
}

/** An engine holding `others` (networks of someone else), failing on demand. */
function fakeEngine(opts: { others?: string[]; overlapOnce?: string[]; failContainer?: Error } = {}) {
  const nets = new Map<string, FakeNet>();
  const others = [...(opts.others ?? [])];
  const overlapOnce = new Set(opts.overlapOnce ?? []);
  const removedNets: string[] = [];
  const docker = {
    createVolume: async () => ({}),
    getVolume: () => ({ remove: async () => ({}) }),
    listNetworks: async () => [
      ...others.map((s) => ({ IPAM: { Config: [{ Subnet: s }] } })),
      ...[...nets.values()].map((n) => ({ IPAM: { Config: [{ Subnet: n.subnet }] } })),
    ],
    createNetwork: async (o: { Name: string; IPAM: { Config: Array<{ Subnet: string }> } }) => {
      const subnet = o.IPAM.Config[0]!.Subnet;
      if (overlapOnce.has(subnet) || others.includes(subnet)) {
        // Someone else created it between our listing and our create.
        overlapOnce.delete(subnet);
        others.push(subnet);
        throw Object.assign(new Error('(HTTP code 403) Pool overlaps with other one on this address space'), {
          statusCode: 403,
        });
      }
      nets.set(o.Name, { name: o.Name, subnet });
      return fakeNetwork(o.Name);
    },
    getNetwork: (name: string) => fakeNetwork(name),
    createContainer: async () => {
      if (opts.failContainer) throw opts.failContainer;
      return { id: `c-${nets.size}`, start: async () => {}, remove: async () => {} };
    },
    getContainer: () => ({ remove: async () => {} }),
  };
  function fakeNetwork(name: string) {
    return {
      inspect: async () => {
        const n = nets.get(name);
        if (!n) throw Object.assign(new Error('no such network'), { statusCode: 404 });
        return { IPAM: { Config: [{ Subnet: n.subnet }] }, Labels: {} };
      },
      remove: async () => {
        if (!nets.delete(name)) throw Object.assign(new Error('no such network'), { statusCode: 404 });
        removedNets.push(name);
      },
    };
  }
  return { docker: docker as unknown as Docker, nets, removedNets };
}

const spec: SessionSpec = {
  env: 'node',
  purpose: 'attempt',
  ownerId: 'a1',
  limits: defaultLimits,
  network: 'gateway',
};

const driverOn = (docker: Docker, subnetPool = '10.213.0.0/26') =>
  new DockerDriver({
    docker,
    imageFor: async () => 'img',
    logger: silentLogger,
    gatewayPort: 8081,
    allowUnfirewalledGateway: true,
    subnetPool,
  });

describe('gateway networks (fake engine)', () => {
  it('puts each session on its own /28 of the pool, skipping subnets other networks hold', async () => {
    const engine = fakeEngine({ others: ['10.213.0.0/28'] });
    const driver = driverOn(engine.docker);
    const a = (await driver.createSession(spec)) as DockerSession;
    const b = (await driver.createSession(spec)) as DockerSession;
    expect([a.subnet, b.subnet]).toEqual(['10.213.0.16/28', '10.213.0.32/28']);
    expect(a.gatewayAddress).toBe('10.213.0.17');
    expect(driver.subnets.inUse).toBe(2);
  });

  it('retries on another subnet when Docker answers that one overlaps (created meanwhile)', async () => {
    const engine = fakeEngine({ overlapOnce: ['10.213.0.0/28', '10.213.0.16/28'] });
    const driver = driverOn(engine.docker);
    const s = (await driver.createSession(spec)) as DockerSession;
    expect(s.subnet).toBe('10.213.0.32/28');
    expect(driver.subnets.inUse).toBe(1);
  });

  it('gives the subnet back on destroy, and when the container cannot be created', async () => {
    const engine = fakeEngine();
    const driver = driverOn(engine.docker);
    const s = (await driver.createSession(spec)) as DockerSession;
    await driver.destroy(s);
    expect(engine.removedNets).toEqual([s.networkName]);
    expect(driver.subnets.inUse).toBe(0);

    const broken = fakeEngine({ failContainer: new Error('no such image: img') });
    const d2 = driverOn(broken.docker);
    await expect(d2.createSession(spec)).rejects.toThrow(/no such image/);
    expect(d2.subnets.inUse).toBe(0);
    expect(broken.nets.size).toBe(0);
  });

  it('a full pool is a resource shortage (the job waits), not a failure, and frees up on destroy', async () => {
    const engine = fakeEngine();
    const driver = driverOn(engine.docker, '10.213.0.0/27'); // two /28s
    const a = await driver.createSession(spec);
    await driver.createSession(spec);
    const err = await driver.createSession(spec).catch((e: unknown) => e);
    expect(isResourceShortage(err)).toBe(true);
    expect((err as Error).message).toMatch(/subnet pool is in use/);
    await driver.destroy(a);
    expect(((await driver.createSession(spec)) as DockerSession).subnet).toBe('10.213.0.0/28');
  });

  it('a busy engine while creating the container is a shortage, and nothing is left held', async () => {
    const busy = Object.assign(new Error('(HTTP code 500) server error - context deadline exceeded'), {
      statusCode: 500,
    });
    const engine = fakeEngine({ failContainer: busy });
    const driver = driverOn(engine.docker);
    const err = await driver.createSession(spec).catch((e: unknown) => e);
    expect(isResourceShortage(err)).toBe(true);
    expect(driver.subnets.inUse).toBe(0);
    expect(engine.nets.size).toBe(0);
  });
});

describe('which engine errors are "try again later"', () => {
  it.each([
    ['could not find an available, non-overlapping IPv4 address pool among the defaults', 500, 'addresses'],
    ['context deadline exceeded', 500, 'engine'],
    ['socket hang up', undefined, 'engine'],
    ['Cannot allocate memory', 500, 'engine'],
  ])('%s → %s', (message, statusCode, resource) => {
    expect(asShortage(Object.assign(new Error(message), { statusCode }))?.resource).toBe(resource);
  });

  it.each([
    ['No such image: worksample-sandbox-node:x', 404],
    ['invalid reference format', 400],
    ['Conflict. The container name is already in use', 409],
  ])('%s stays an error', (message, statusCode) => {
    expect(asShortage(Object.assign(new Error(message), { statusCode }))).toBeUndefined();
  });

  it('a dropped engine connection is a shortage', () => {
    expect(asShortage(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))?.resource).toBe(
      'engine',
    );
  });
});
