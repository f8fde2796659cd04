/**
 * `npm run bench:multihost` (opt-in; Linux, root, a Docker engine with the sandbox images, and
 * TEST_DATABASE_URL): sandbox workers on separate hosts, built on one machine. Each "host" is a network
 * namespace of its own (`ip netns`, a veth pair to this machine) running its own Docker engine (Debian's
 * dockerd with its own data root, socket and iptables, the sandbox images loaded into it from this
 * machine's engine) and one `worksample worker` — so a worker reaches Postgres and the API servers'
 * gateway over a real network hop, applies its host firewall in its own namespace, and forwards its
 * sandboxes' model calls across it. The API server (in this process, `RemoteDriver`) holds no socket of
 * those engines. Reported: the same burst of Runs and gradings with 1, 2 and 3 worker hosts, Runs/s and
 * gradings/min as ratios over one host; failures (goal 0).
 *
 * All hosts share this machine's cores, so throughput cannot grow with hosts here: this proves the
 * topology and measures its cost; on real hosts each brings its own cores. Traffic stays on this
 * machine: loopback, the veth networks it creates, and the sandbox networks its engines create.
 * Everything it made (namespaces, engines, their data) is removed in `finally`.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { imageFor } from '../server/sandbox/images/index.ts';
import { silentLogger } from '../server/logger/index.ts';
import { freeLoopbackPort, systemClock } from '../server/platform/index.ts';
import { freshDatabaseUrl, testConfig } from '../server/testing/index.ts';
import { openDatabase } from '../server/db/index.ts';
import { RemoteDriver } from '../server/workers/index.ts';
import { burst, type Outcome } from './burst.ts';

const run = promisify(execFile);
const HOSTS = Number(process.env.MULTIHOST_HOSTS ?? 3);
const ROOT = '/run/worksample-bench';
const DATA = '/var/lib/worksample-bench';
const bin = path.resolve(import.meta.dirname, '../bin/worksample.js');
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

if (process.getuid?.() !== 0) throw new Error('bench:multihost needs root (network namespaces, engines)');
if (!process.env.TEST_DATABASE_URL) throw new Error('bench:multihost needs TEST_DATABASE_URL (Postgres)');

const gatewayPort = await freeLoopbackPort();
const token = randomBytes(24).toString('hex');
const registry = await freshDatabaseUrl('postgres');
const pgTarget = new URL(registry.url);
const hostDocker = new Docker();
const image = await imageFor('node');

interface Host {
  n: number;
  ns: string;
  /** This machine's address on the host's veth network, and the host's. */
  near: string;
  far: string;
  proxies: net.Server[];
  engine?: ChildProcess;
  socket: string;
  worker?: ChildProcess;
}
const hosts: Host[] = [];

/** Listens on `address:port` and pipes each connection to `to` (Postgres, the gateway). */
function proxy(address: string, port: number, to: { host: string; port: number }): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer((inbound) => {
      const outbound = net.connect(to);
      const end = () => (inbound.destroy(), outbound.destroy());
      inbound.on('error', end);
      outbound.on('error', end);
      inbound.pipe(outbound).pipe(inbound);
    });
    s.once('error', reject);
    s.listen({ host: address, port }, () => resolve(s));
  });
}

async function removeHost(ns: string) {
  await run('ip', ['netns', 'pids', ns])
    .then(async ({ stdout }) => {
      for (const pid of stdout.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    })
    .catch(() => {});
  await run('ip', ['netns', 'del', ns]).catch(() => {});
  await rm(path.join(DATA, ns), { recursive: true, force: true }).catch(() => {});
  await rm(path.join(ROOT, ns), { recursive: true, force: true }).catch(() => {});
}

async function makeHost(n: number): Promise<Host> {
  const ns = `wsbench${n}`;
  await removeHost(ns); // what a crashed earlier run left
  const host: Host = {
    n,
    ns,
    near: `10.250.${n}.1`,
    far: `10.250.${n}.2`,
    proxies: [],
    socket: path.join(ROOT, `${ns}.sock`),
  };
  hosts.push(host);
  await run('ip', ['netns', 'add', ns]);
  await run('ip', ['link', 'add', `wsbh${n}`, 'type', 'veth', 'peer', 'name', `wsbw${n}`]);
  await run('ip', ['link', 'set', `wsbw${n}`, 'netns', ns]);
  await run('ip', ['addr', 'add', `${host.near}/30`, 'dev', `wsbh${n}`]);
  await run('ip', ['link', 'set', `wsbh${n}`, 'up']);
  await run('ip', ['-n', ns, 'addr', 'add', `${host.far}/30`, 'dev', `wsbw${n}`]);
  await run('ip', ['-n', ns, 'link', 'set', `wsbw${n}`, 'up']);
  await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  // What the host reaches on this machine: Postgres and the API servers' gateway, nothing else.
  host.proxies.push(
    await proxy(host.near, 5432, { host: pgTarget.hostname, port: Number(pgTarget.port || 5432) }),
    await proxy(host.near, gatewayPort, { host: '127.0.0.1', port: gatewayPort }),
  );
  await mkdir(path.join(ROOT, ns), { recursive: true });
  const engineLog = createWriteStream(path.join(os.tmpdir(), `${ns}-dockerd.log`));
  host.engine = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      'dockerd',
      '--data-root',
      path.join(DATA, ns),
      '--exec-root',
      path.join(ROOT, ns),
      '--pidfile',
      path.join(ROOT, ns, 'dockerd.pid'),
      '-H',
      `unix://${host.socket}`,
      '--bridge=none',
    ],
    { stdio: ['ignore', engineLog, engineLog] },
  );
  const engine = new Docker({ socketPath: host.socket });
  for (let i = 0; ; i++) {
    if (
      await engine.ping().then(
        () => true,
        () => false,
      )
    )
      break;
    if (i > 60) throw new Error(`${ns}: its engine did not answer in 30 s (see ${engineLog.path})`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const t0 = performance.now();
  const tar = await hostDocker.getImage(image).get();
  await new Promise<void>((resolve, reject) =>
    engine.loadImage(tar, {}, (err, res) => {
      if (err || !res) return reject(err ?? new Error('no answer'));
      res.on('data', () => {});
      res.on('end', resolve);
      res.on('error', reject);
    }),
  );
  log(`${ns}: engine up, ${image} loaded in ${Math.round((performance.now() - t0) / 1000)} s`);
  return host;
}

/** Starts the host's worker and waits until it says it runs. */
function startWorker(host: Host, registryUrl: string): Promise<void> {
  const db = new URL(registryUrl);
  db.hostname = host.near;
  db.port = '5432';
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', host.ns, process.execPath, bin, 'worker'], {
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        DATABASE_URL: db.toString(),
        DOCKER_HOST: `unix://${host.socket}`,
        WORKER_TOKEN: token,
        WORKER_ID: host.ns,
        WORKER_HOST: host.far,
        WORKER_PORT: '8082',
        GATEWAY_PORT: String(gatewayPort),
        WORKER_GATEWAY_UPSTREAM: `${host.near}:${gatewayPort}`,
        SANDBOX_DRIVER: 'docker',
        SANDBOX_AUTO_BUILD: 'false',
        DEMO_SEED: 'false',
      },
    });
    host.worker = child;
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${host.ns}: worker did not start\n${out}`)), 60_000);
    const seen = (d: Buffer) => {
      out += d;
      if (/is running at/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`${host.ns}: worker exited with ${code}\n${out}`)));
  });
}

const results = new Map<number, Outcome>();
const database = await openDatabase(registry.url);
const remote = new RemoteDriver({
  db: database.db,
  clock: systemClock,
  token,
  staleMs: 10_000,
  owner: 'bench-multihost',
  logger: silentLogger,
});
const options = {
  config: testConfig({ GATEWAY_PORT: String(gatewayPort) }),
  candidates: Number(process.env.MULTIHOST_CANDIDATES ?? 12),
  rounds: Math.min(8, Number(process.env.MULTIHOST_ROUNDS ?? 6)),
  gradings: Number(process.env.MULTIHOST_GRADINGS ?? 6),
  maxConcurrent: 6,
};
try {
  log(
    `load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} (shared machine)`,
  );
  for (let n = 1; n <= HOSTS; n++) {
    const host = await makeHost(n);
    await startWorker(host, registry.url);
    results.set(n, await burst(remote, true, options));
    log(`${n} host${n > 1 ? 's' : ''}: ${JSON.stringify(results.get(n))}`);
  }
  const one = results.get(1)!;
  console.log(
    `\nbench:multihost — ${options.candidates} candidates × ${options.rounds} Runs (LLM task, gateway call over ` +
      `the host's network) + ${options.gradings} gradings, server cap ${options.maxConcurrent}; each worker ` +
      `host a network namespace with its own engine; ${os.cpus().length} cores shared by all`,
  );
  console.table(
    [...results].map(([n, o]) => ({
      'worker hosts': n,
      runs: o.runs,
      'Runs/s': o.runsPerS.toFixed(2),
      'Runs ÷ 1 host': (o.runsPerS / one.runsPerS).toFixed(2),
      'gradings/min': o.gradingsPerMin.toFixed(1),
      'gradings ÷ 1 host': (o.gradingsPerMin / one.gradingsPerMin).toFixed(2),
      'Run p50 ms': o.runP50,
      failures: o.failures.length,
    })),
  );
  const failures = [...results.values()].flatMap((o) => o.failures);
  if (failures.length) {
    console.log(failures.slice(0, 10).join('\n'));
    process.exitCode = 1;
  }
} finally {
  await remote.close();
  for (const h of hosts) {
    h.worker?.kill('SIGTERM');
    await new Promise((r) => (h.worker && h.worker.exitCode === null ? h.worker.once('exit', r) : r(null)));
    const engine = new Docker({ socketPath: h.socket });
    for (const c of await engine.listContainers({ all: true }).catch(() => []))
      await engine
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {});
    h.engine?.kill('SIGTERM');
    await new Promise((r) => (h.engine && h.engine.exitCode === null ? h.engine.once('exit', r) : r(null)));
    for (const p of h.proxies) p.close();
    await removeHost(h.ns);
  }
  await database.close();
  await registry.drop();
}
