/**
 * Shared fixtures for the real-Docker sandbox tests: the docker-availability guard, a DockerDriver
 * built the way createSandboxDriver builds it (host firewall included), small explicit limits, and
 * probes for "the host is fine" and "nothing of the candidate's is left running".
 */
import { execFile } from 'node:child_process';
import { createServer as createNetServer, type Server } from 'node:net';
import os from 'node:os';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { DockerDriver, type DockerSession } from '../../server/sandbox/docker/driver.ts';
import { CHAIN } from '../../server/sandbox/docker/firewall.ts';
import { imageFor } from '../../server/sandbox/images/index.ts';
import type { ExecRequest, ExecResult, SandboxLimits, SessionSpec } from '../../server/sandbox/types.ts';
import { needs } from '../helpers/require.ts';
import { docker, imageExists } from '../helpers/docker.ts';

export { docker };

/** True when the suite can run against a real engine with the node image built; throws if CI requires it. */
export async function dockerReady(): Promise<boolean> {
  const up = needs(
    'docker',
    await DockerDriver.engineAnswers(docker, 3000),
    'install docker.io and start dockerd',
  );
  return (
    up &&
    needs(
      'docker',
      await imageExists(await imageFor('node')),
      'the node sandbox image is missing: run npm run sandboxes:build (add -- --offline without a registry)',
    )
  );
}

export const MiB = 1024 * 1024;

/** Small, explicit limits so every attack hits a wall quickly. */
export const limits: SandboxLimits = {
  wallMs: 3000,
  memoryBytes: 128 * MiB,
  cpus: 1,
  pids: 64,
  outputBytes: 64 * 1024,
  fileSizeBytes: 1 * MiB,
  openFiles: 128,
  workspaceBytes: 8 * MiB,
  tmpBytes: 8 * MiB,
};

export const spec = (over: Partial<SessionSpec> = {}): SessionSpec => ({
  env: 'node',
  purpose: 'test',
  ownerId: `test-${process.pid}`,
  limits,
  network: 'none',
  ...over,
});

/** A free TCP port on loopback (closed again; used as the gateway port the driver admits). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export { makeDriver } from '../helpers/docker.ts';

/** Runs argv to completion. */
export function run(
  driver: DockerDriver,
  session: DockerSession,
  argv: string[],
  req: Omit<ExecRequest, 'argv'> = {},
): Promise<ExecResult> {
  return driver.exec(session, { ...req, argv }).result;
}

/** Runs a shell script to completion. */
export const sh = (driver: DockerDriver, session: DockerSession, script: string) =>
  run(driver, session, ['sh', '-c', script]);

/** The host is unaffected: its event loop answers promptly and it still has memory to spare. */
export async function expectHostFine(): Promise<void> {
  const started = performance.now();
  await new Promise((resolve) => setImmediate(resolve));
  expect(performance.now() - started).toBeLessThan(500);
  expect(os.freemem()).toBeGreaterThan(256 * MiB);
}

/**
 * Processes in the container, listed from the host (`docker top`): an exec inside would add itself to
 * the list, and the driver ends every candidate process when a run ends.
 */
export async function containerProcesses(
  session: DockerSession,
): Promise<Array<{ uid: number; args: string }>> {
  const top = await session.container.top({ ps_args: '-o pid,uid,args' });
  return (top.Processes as string[][]).map((p) => ({ uid: Number(p[1]), args: p[2]!.trim() }));
}

/**
 * The container is still usable and holds nothing of the candidate's: a trivial run works, and the
 * only processes left are docker-init and the keeper's `sleep infinity`.
 */
export async function expectContainerClean(driver: DockerDriver, session: DockerSession): Promise<void> {
  // Listed before the echo: the driver's end-of-run cleanup would hide leftovers.
  const procs = await containerProcesses(session);
  expect(procs.map((p) => p.args).sort()).toEqual(['/sbin/docker-init -- sleep infinity', 'sleep infinity']);
  expect(procs.filter((p) => p.uid === 1000)).toEqual([]);
  const echo = await run(driver, session, ['echo', 'ok']);
  expect(echo).toMatchObject({ verdict: 'ok', stdout: { text: 'ok\n' } });
}

/** A TCP server that greets every connection with `greeting` and closes. */
export async function greeter(host: string, port: number, greeting: string): Promise<Server> {
  const server = createNetServer((socket) => socket.end(greeting));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

export const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/**
 * A node script for the container: connects to each host:port with a short timeout and prints one
 * JSON line per target, `{ target, result }` where result is `data:<greeting>`, `error:<code>` or `timeout`.
 */
export function probeScript(targets: Array<{ host: string; port: number }>, timeoutMs = 1500): string {
  return `
const net = require('net');
const targets = ${JSON.stringify(targets)};
Promise.all(targets.map((t) => new Promise((resolve) => {
  const socket = net.connect(t.port, t.host);
  let data = '';
  const done = (result) => { socket.destroy(); resolve({ target: t.host + ':' + t.port, result }); };
  socket.setTimeout(${timeoutMs}, () => done('timeout'));
  socket.on('data', (c) => { data += c; });
  socket.on('end', () => done('data:' + data));
  socket.on('error', (e) => done('error:' + e.code));
}))).then((rs) => { for (const r of rs) console.log(JSON.stringify(r)); });
`;
}

/** Runs probeScript in the session and returns target → result. */
export async function probe(
  driver: DockerDriver,
  session: DockerSession,
  targets: Array<{ host: string; port: number }>,
): Promise<Record<string, string>> {
  const r = await run(driver, session, ['node', '-e', probeScript(targets)]);
  expect(r.verdict, r.stderr.text).toBe('ok');
  return Object.fromEntries(
    r.stdout.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { target: string; result: string })
      .map((x) => [x.target, x.result]),
  );
}

/** The host interface of a session network: its bridge name option if set, else Docker's default name. */
export async function bridgeOf(networkName: string): Promise<string> {
  const net = await docker.getNetwork(networkName).inspect();
  return (
    (net.Options?.['com.docker.network.bridge.name'] as string | undefined) ??
    `br-${(net.Id as string).slice(0, 12)}`
  );
}

/** The sandbox firewall chain as `iptables -S` prints it. */
export async function firewallRules(): Promise<string> {
  return (await promisify(execFile)('iptables', ['-w', '-S', CHAIN])).stdout;
}
