/**
 * `npm run bench:workers`: what sandbox workers cost and carry. The same burst of Runs and gradings
 * through the product's HTTP path (invite → start → write → Run with live output → submit → grading)
 * against: the Docker driver in the server's own process (the embedded default), then 1, 2 and 3
 * `worksample worker` processes (real processes, the server using `RemoteDriver`). Reported: Runs per
 * second and gradings per minute as ratios over the in-process figure and over one worker, and a Run's
 * latency as a ratio over a raw `docker exec` of node measured in the same run (the floor).
 *
 * All workers here share this machine's one engine and two cores, so more workers add no cores: the
 * ratios show the cost of the worker hop and that placement spreads sessions, not more capacity — on
 * separate hosts each worker brings its own engine and cores. Traffic goes only to loopback (the
 * workers' APIs, the gateway) and, from sandboxes, to the gateway addresses of networks it made.
 * Opt-in (a few minutes), not part of `npm run bench`.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultLimits, DockerDriver, hostFirewall } from '../server/sandbox/index.ts';
import { LABEL } from '../server/sandbox/docker/hardening.ts';
import { imageFor, type EnvName } from '../server/sandbox/images/index.ts';
import { silentLogger } from '../server/logger/index.ts';
import { freeLoopbackPort, systemClock } from '../server/platform/index.ts';
import { testConfig } from '../server/testing/index.ts';
import { openDatabase } from '../server/db/index.ts';
import { RemoteDriver } from '../server/workers/index.ts';
import { startWorkerProcess, type ServerProcess } from '../tests/helpers/process.ts';
import { burst, type Outcome } from './burst.ts';
import { rawExec } from './raw.ts';
import { loadAverage, summarize } from './stats.ts';

const CANDIDATES = Number(process.env.WORKERS_CANDIDATES ?? 8);
// The example task allows 10 model calls a minute and 20 per attempt: a warm-up + 8 Runs stay within both.
const ROUNDS = Math.min(8, Number(process.env.WORKERS_ROUNDS ?? 6));
const GRADINGS = Number(process.env.WORKERS_GRADINGS ?? 4);
const MAX_CONCURRENT = 4;
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

const gatewayPort = await freeLoopbackPort();
const tag = randomBytes(3).toString('hex');
const token = randomBytes(24).toString('hex');
const registry = path.join(os.tmpdir(), `bench-workers-${tag}.db`);
const options = {
  config: testConfig({ GATEWAY_PORT: String(gatewayPort) }),
  candidates: CANDIDATES,
  rounds: ROUNDS,
  gradings: GRADINGS,
  maxConcurrent: MAX_CONCURRENT,
};
const docker = new DockerDriver({
  imageFor: (e) => imageFor(e as EnvName),
  logger: silentLogger,
  firewall: await hostFirewall(),
  gatewayPort,
  instance: `bench-workers-${tag}`,
  subnetPool: '10.241.0.0/20',
});

const workers: ServerProcess[] = [];
const results = new Map<string, Outcome>();
try {
  log(loadAverage());
  // Floor: a raw exec of node in a warm container, nothing of ours around it.
  const floorSession = await docker.createSession({
    env: 'node',
    purpose: 'test',
    ownerId: 'floor',
    limits: defaultLimits,
    network: 'none',
  });
  const floor: number[] = [];
  for (let i = 0; i < 13; i++) {
    const t = await rawExec(docker.docker.getContainer(floorSession.id), ['node', '-e', '1']);
    if (i >= 3) floor.push(t.exit);
  }
  await docker.destroy(floorSession);
  const floorMs = summarize(floor).p50;
  log(`floor: raw exec of node p50 ${floorMs} ms`);

  results.set('in process', await burst(docker, false, options));
  log(`in process: ${JSON.stringify(results.get('in process'))}`);

  const database = await openDatabase(`sqlite:${registry}`);
  const remote = new RemoteDriver({
    db: database.db,
    clock: systemClock,
    token,
    staleMs: 10_000,
    owner: `bench-${tag}`,
    logger: silentLogger,
  });
  for (let n = 1; n <= 3; n++) {
    workers.push(
      await startWorkerProcess({
        DATABASE_URL: `sqlite:${registry}`,
        WORKER_TOKEN: token,
        WORKER_ID: `bench-${tag}-${n}`,
        WORKER_PORT: '0',
        GATEWAY_PORT: String(gatewayPort),
        WORKER_GATEWAY_UPSTREAM: `127.0.0.1:${gatewayPort}`,
        SANDBOX_DRIVER: 'docker',
        SANDBOX_AUTO_BUILD: 'false',
        SANDBOX_SUBNET_POOL: `10.${241 + n}.0.0/20`,
        DEMO_SEED: 'false',
      }),
    );
    const outcome = await burst(remote, true, options);
    results.set(`${n} worker${n > 1 ? 's' : ''}`, outcome);
    log(`${n} workers: ${JSON.stringify(outcome)}`);
  }
  await database.close();

  const base = results.get('in process')!;
  const one = results.get('1 worker')!;
  const rows = [...results].map(([name, o]) => ({
    name,
    runs: o.runs,
    'Runs/s': o.runsPerS.toFixed(2),
    '÷ in process': (o.runsPerS / base.runsPerS).toFixed(2),
    '÷ 1 worker': (o.runsPerS / one.runsPerS).toFixed(2),
    'gradings/min': o.gradingsPerMin.toFixed(1),
    'gradings ÷ in process': (o.gradingsPerMin / base.gradingsPerMin).toFixed(2),
    'Run p50 ms': o.runP50,
    'Run p50 ÷ floor': (o.runP50 / floorMs).toFixed(1),
    failures: o.failures.length,
  }));
  console.log(
    `\nbench:workers — ${CANDIDATES} candidates × ${ROUNDS} Runs (LLM task, gateway call) + ${GRADINGS} gradings, ` +
      `server cap ${MAX_CONCURRENT}; floor (raw docker exec of node) p50 ${floorMs} ms; one engine, ${os.cpus().length} cores`,
  );
  console.table(rows);
  const failures = [...results.values()].flatMap((o) => o.failures);
  if (failures.length) {
    console.log(failures.slice(0, 10).join('\n'));
    process.exitCode = 1;
  }
} finally {
  for (const w of workers) await w.stop('SIGTERM');
  for (const c of await docker.docker.listContainers({ all: true, filters: { label: [`${LABEL}`] } }))
    if (/bench-workers-|w-bench-/.test(c.Labels[LABEL] ?? ''))
      await docker.docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {});
  await docker.removeDanglingResources?.().catch(() => {});
  await rm(registry, { force: true });
  await rm(`${registry}-wal`, { force: true });
  await rm(`${registry}-shm`, { force: true });
}
