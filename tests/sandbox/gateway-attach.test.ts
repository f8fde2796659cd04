/**
 * Attach mode (the server in a container with the Docker socket, as docker-compose runs it): with no
 * host firewall, a sandbox of an LLM task reaches the gateway port and nothing else — not the API
 * port (on the server's sandbox-side address or its compose-side address), not another sandbox, not
 * the host's listeners. The server is played by attach-server.ts in a container on a network this test
 * creates (standing in for the compose network); the listeners probed are the test's own.
 */
import { realpathSync } from 'node:fs';
import type { Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../server/sandbox/docker/hardening.ts';
import { imageFor } from '../../server/sandbox/images/index.ts';
import { repoRoot } from '../../server/testing/index.ts';
import { freePort } from '../helpers/process.ts';
import { closeServer, docker, dockerReady, greeter } from './fixtures.ts';

const ready = await dockerReady();

describe.runIf(ready)('LLM gateway in attach mode (containerised server, no host firewall)', () => {
  const instance = `attach-test-${process.pid}`;
  const netName = `attach-test-srv-${process.pid}`;
  let report: Record<string, any>;
  let logs = '';
  let hostAddr: string;
  let hostPort: number;
  let apiPort: number;
  let gatewayPort: number;
  const host: { server?: Server } = {};

  beforeAll(async () => {
    const net = await docker.createNetwork({ Name: netName, Driver: 'bridge' });
    hostAddr = (await net.inspect()).IPAM?.Config?.[0]?.Gateway as string;
    [hostPort, apiPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
    // A listener on every host address: what a host service (sshd, a database) looks like.
    host.server = await greeter('0.0.0.0', hostPort, 'hello-host');

    const modules = realpathSync(path.join(repoRoot, 'node_modules'));
    const container = await docker.createContainer({
      name: `attach-test-server-${process.pid}`,
      Image: await imageFor('node'),
      User: '0',
      WorkingDir: repoRoot,
      Cmd: ['/opt/node', '--import', 'tsx', 'tests/sandbox/attach-server.ts'],
      Env: [
        `GATEWAY_PORT=${gatewayPort}`,
        `API_PORT=${apiPort}`,
        `HOST_ADDR=${hostAddr}`,
        `HOST_PORT=${hostPort}`,
        `INSTANCE=${instance}`,
      ],
      Labels: { 'org.worksample.test': 'attach' },
      HostConfig: {
        NetworkMode: netName,
        Binds: [
          `${process.execPath}:/opt/node:ro`,
          `${repoRoot}:${repoRoot}:ro`,
          `${modules}:${modules}:ro`,
          '/var/run/docker.sock:/var/run/docker.sock',
        ],
      },
    });
    try {
      await container.start();
      await container.wait();
      logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
    } finally {
      await container.remove({ force: true }).catch(() => {});
    }
    const line = logs.split('\n').find((l) => l.includes('REPORT '));
    if (!line) throw new Error(`the server container printed no report:\n${logs}`);
    report = JSON.parse(line.slice(line.indexOf('REPORT ') + 7));
  }, 120_000);

  afterAll(async () => {
    if (host.server) await closeServer(host.server);
    await docker
      .getNetwork(netName)
      .remove()
      .catch(() => {});
  });

  const from = (host: string, port: number) => report.fromSandbox[`${host}:${port}`];

  it('a sandbox reaches the gateway on the server’s address on its network', () => {
    expect(report.sandboxA.gatewayAddress).not.toBe(report.sandboxA.bridgeGateway);
    expect(from(report.sandboxA.gatewayAddress, gatewayPort), report.probeStderr).toBe('data:hello-gateway');
  });

  it('does not reach the API port, on the sandbox-side address or the server’s other address', () => {
    // The API listens on the server's own network and loopback only.
    expect(report.apiHosts).toEqual(['127.0.0.1', report.serverOnComposeNet]);
    expect(from(report.sandboxA.gatewayAddress, apiPort)).toBe('error:ECONNREFUSED');
    expect(from(report.serverOnComposeNet, apiPort)).not.toMatch(/^data:/);
  });

  it('does not reach another sandbox, or the gateway address of another sandbox network', () => {
    expect(report.peerFromServer).toBe('data:hello-peer'); // B's listener was up
    expect(from(report.sandboxB.ip, 7000)).not.toMatch(/^data:/);
    expect(from(report.sandboxB.gatewayAddress, gatewayPort)).not.toMatch(/^data:/);
  });

  it('does not reach the host’s listeners: the sandbox bridge has no host address', () => {
    expect(report.hostFromServer).toBe('data:hello-host'); // the listener answers where it may
    expect(from(hostAddr, hostPort)).not.toMatch(/^data:/);
    expect(from(report.sandboxA.bridgeGateway, hostPort)).not.toMatch(/^data:/);
  });

  it('leaves no sandbox network or container behind', async () => {
    const left = await docker.listNetworks({ filters: { label: [`${LABEL}=${instance}`] } });
    expect(left).toEqual([]);
    const containers = await docker.listContainers({
      all: true,
      filters: { label: [`${LABEL}=${instance}`] },
    });
    expect(containers).toEqual([]);
  });
});
