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
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { silentLogger } from '../server/logger/index.ts';
import { freeLoopbackPort, systemClock } from '../server/platform/index.ts';
import { freshDatabaseUrl, testConfig } from '../server/testing/index.ts';
import { openDatabase } from '../server/db/index.ts';
import { RemoteDriver } from '../server/workers/index.ts';
import { WorkerHost } from '../tests/helpers/worker-host.ts';
import { burst, type Outcome } from './burst.ts';
import { loadAverage } from './stats.ts';

const HOSTS = Number(process.env.MULTIHOST_HOSTS ?? 3);
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

if (process.getuid?.() !== 0) throw new Error('bench:multihost needs root (network namespaces, engines)');
if (!process.env.TEST_DATABASE_URL) throw new Error('bench:multihost needs TEST_DATABASE_URL (Postgres)');

const gatewayPort = await freeLoopbackPort();
const token = randomBytes(24).toString('hex');
const registry = await freshDatabaseUrl('postgres');
const hosts: WorkerHost[] = [];
const results = new Map<number, Outcome & { spread?: number[] }>();
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
  log(loadAverage());
  for (let n = 1; n <= HOSTS; n++) {
    const host = await WorkerHost.create(n, { database: registry.url, gatewayPort });
    hosts.push(host);
    log(`${host.ns}: engine up, sandbox images loaded in ${host.imagesSeconds} s`);
    await host.startWorker({ database: registry.url, token, gatewayPort });
    const spread: number[] = [];
    results.set(
      n,
      await burst(remote, true, {
        ...options,
        // Where the candidates' sandboxes are: one count per host's engine.
        onWarm: async () => {
          for (const h of hosts) {
            const engine = h.docker;
            spread.push(
              (await engine.listContainers({ filters: { label: ['org.worksample.purpose=attempt'] } }))
                .length,
            );
          }
        },
      }),
    );
    log(`${n} host${n > 1 ? 's' : ''}: attempt sandboxes per host ${spread.join(' / ')}`);
    results.get(n)!.spread = spread;
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
      'sandboxes per host': o.spread?.join(' / '),
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
  for (const h of hosts) await h.remove();
  await database.close();
  await registry.drop();
}
