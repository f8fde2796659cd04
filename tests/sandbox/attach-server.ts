/**
 * Plays the containerised server for gateway-attach.test.ts (run inside a container with the Docker
 * socket, like docker-compose runs worksample). It builds the DockerDriver the way createSandboxDriver
 * does in attach mode, binds an "API" the way serve.ts does (apiAddresses), creates two gateway
 * sessions with a "gateway" listener on each session address, then probes from sandbox A and prints
 * one JSON report. Input (env): GATEWAY_PORT, API_PORT, HOST_ADDR, HOST_PORT, INSTANCE.
 * Sessions are destroyed before it exits.
 */
import Docker from 'dockerode';
import { createConnection, createServer, type Server } from 'node:net';
import { silentLogger } from '../../server/logger/index.ts';
import { apiAddresses, ownContainerId } from '../../server/sandbox/docker/attach.ts';
import { DockerDriver, type DockerSession } from '../../server/sandbox/docker/driver.ts';
import { imageFor, type EnvName } from '../../server/sandbox/images/index.ts';
import { limits, probeScript } from './fixtures.ts';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const gatewayPort = Number(env('GATEWAY_PORT'));
const apiPort = Number(env('API_PORT'));
const hostAddr = env('HOST_ADDR');
const hostPort = Number(env('HOST_PORT'));
const PEER_PORT = 7000;
const step = (what: string) => process.stderr.write(`step: ${what}\n`);

const docker = new Docker();
const self = await ownContainerId(docker);
if (!self) throw new Error('not running in a container of this engine');
const driver = new DockerDriver({
  imageFor: (e) => imageFor(e as EnvName),
  logger: silentLogger,
  attachTo: self,
  gatewayPort,
  instance: env('INSTANCE'),
});

function greeter(host: string, port: number, greeting: string): Promise<Server> {
  const server = createServer((socket) => socket.end(greeting));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** From this process (the server's own view): `data:<greeting>` or the error. */
function connectFromServer(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = createConnection(port, host);
    let data = '';
    s.setTimeout(1500, () => (s.destroy(), resolve('timeout')));
    s.on('data', (c) => (data += c));
    s.on('end', () => resolve(`data:${data}`));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(`error:${e.code}`));
  });
}

const servers: Server[] = [];
const sessions: DockerSession[] = [];
try {
  step('api');
  const apiHosts = await apiAddresses(docker, self);
  for (const h of apiHosts) servers.push(await greeter(h, apiPort, 'hello-api'));

  const spec = { env: 'node', purpose: 'test' as const, ownerId: 'attach-test', network: 'gateway' as const };
  step('session a');
  const a = await driver.createSession({ ...spec, limits: { ...limits, wallMs: 10_000 } });
  sessions.push(a);
  step('session b');
  const b = await driver.createSession({ ...spec, limits: { ...limits, wallMs: 20_000 } });
  sessions.push(b);
  step('gateway listeners');
  servers.push(await greeter(a.gatewayAddress!, gatewayPort, 'hello-gateway'));
  servers.push(await greeter(b.gatewayAddress!, gatewayPort, 'hello-gateway-b'));

  // A listener in sandbox B, kept alive by a live run while A probes.
  step('peer');
  const peer = driver.exec(b, {
    argv: ['node', '-e', `require('net').createServer((s) => s.end('hello-peer')).listen(${PEER_PORT})`],
  });
  const bInfo = await b.container.inspect();
  const bIp = bInfo.NetworkSettings.Networks[b.networkName!]!.IPAddress;
  const aNet = await docker.getNetwork(a.networkName!).inspect();
  const aBridgeGateway = aNet.IPAM?.Config?.[0]?.Gateway as string;
  step('peer check');
  let peerFromServer = 'timeout';
  for (let i = 0; i < 20 && !peerFromServer.startsWith('data:'); i++) {
    peerFromServer = await connectFromServer(bIp, PEER_PORT);
    if (!peerFromServer.startsWith('data:')) await new Promise((r) => setTimeout(r, 100));
  }
  const serverOnComposeNet = apiHosts.find((h) => h !== '127.0.0.1')!;

  const targets = [
    { host: a.gatewayAddress!, port: gatewayPort },
    { host: a.gatewayAddress!, port: apiPort },
    { host: serverOnComposeNet, port: apiPort },
    { host: bIp, port: PEER_PORT },
    { host: b.gatewayAddress!, port: gatewayPort },
    { host: hostAddr, port: hostPort },
    { host: aBridgeGateway, port: hostPort },
  ];
  step('probe');
  const probe = await driver.exec(a, { argv: ['node', '-e', probeScript(targets)] }).result;
  const fromSandbox = Object.fromEntries(
    probe.stdout.text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { target: string; result: string })
      .map((x) => [x.target, x.result]),
  );
  peer.cancel();
  await peer.result.catch(() => {});
  step('report');
  const report = {
    self,
    apiHosts,
    sandboxA: { gatewayAddress: a.gatewayAddress, bridgeGateway: aBridgeGateway, network: a.networkName },
    sandboxB: { ip: bIp, gatewayAddress: b.gatewayAddress },
    serverOnComposeNet,
    peerFromServer,
    hostFromServer: await connectFromServer(hostAddr, hostPort),
    probeStderr: probe.stderr.text,
    fromSandbox,
  };
  process.stdout.write(`REPORT ${JSON.stringify(report)}\n`);
} finally {
  for (const s of servers) s.close();
  for (const s of sessions) await driver.destroy(s).catch(() => {});
}
