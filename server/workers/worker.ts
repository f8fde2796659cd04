/**
 * `worksample worker`: the process next to one Docker engine. It is the only thing that talks to that
 * engine when API servers run with `SANDBOX_DRIVER=workers`: it removes what an earlier run of itself
 * left, builds missing images, serves the driver's verbs to the API servers (`createWorkerApp`),
 * forwards its sandboxes' gateway connections to the API servers' gateway, and registers its address,
 * capacity and load in the database with a heartbeat.
 */
import os from 'node:os';
import { ConfigError, type Config } from '../config/index.ts';
import { openDatabase } from '../db/index.ts';
import { createLogger } from '../logger/index.ts';
import { systemClock } from '../platform/index.ts';
import { shutdown } from '../shutdown/index.ts';
import { isWildcard, listenAll } from '../http/index.ts';
import { createSandboxDriver, imageResolver, removeAllSessions } from '../sandbox/index.ts';
import { GatewayForwarder, parseUpstream } from './forwarder.ts';
import { createWorkerApp } from './worker-app.ts';
import { heartbeat, markStopped, registerWorker, type WorkerBeat } from './registry.ts';

/** An API process silent this long is gone: its sessions are removed (live ones call every minute). */
const ABANDONED_MS = 5 * 60_000;

export interface RunningWorker {
  id: string;
  url: string;
  close(): Promise<void>;
}

/** The worker's id: WORKER_ID, else the host name and port (lowercased, 40 characters at most). */
export function workerId(config: Config, port: number): string {
  if (config.workers.id) return config.workers.id;
  const host = os
    .hostname()
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '');
  return `${host.slice(0, 33) || 'worker'}-${port}`;
}

export async function startWorker(
  config: Config,
  out: NodeJS.WritableStream = process.stdout,
): Promise<RunningWorker> {
  const token = config.workers.token;
  if (!token)
    throw new ConfigError(['WORKER_TOKEN: required for `worksample worker` (the secret API servers send)']);
  if (config.sandboxDriver === 'workers')
    throw new ConfigError(['SANDBOX_DRIVER=workers: a worker runs sandboxes itself; use docker (or auto)']);
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config.databaseUrl);
  const imageOf = imageResolver();
  const id = workerId(config, config.workers.port);
  // Each worker labels its containers with its own instance: its sweeps never touch another worker's.
  const driver = await createSandboxDriver(
    { ...config, sandbox: { ...config.sandbox, instance: `w-${id}`.slice(0, 40) } },
    logger,
    imageOf,
  );
  const forwarder = new GatewayForwarder(parseUpstream(config.workers.gatewayUpstream), config.gatewayPort);
  const worker = createWorkerApp({
    id,
    driver,
    forwarder,
    token,
    maxSessions: config.workers.maxSessions,
    logger,
  });
  // Whatever an earlier run of this worker left (it holds no session yet) goes.
  await removeAllSessions(driver).catch((err: unknown) =>
    logger.warn({ err }, 'could not remove the sandboxes of an earlier run of this worker'),
  );
  const prepared = await driver.prepare?.({
    autoBuild: config.sandbox.autoBuild,
    log: (line) => logger.info(line),
  });
  prepared?.building?.catch((err: unknown) => logger.error({ err }, 'sandbox image build failed'));
  // In a container that joins its sandboxes' networks (attach mode), a wildcard would answer sandboxes
  // on the worker's API: only the addresses that are not sandbox networks are bound.
  const attached = isWildcard(config.workers.host) ? await driver.apiAddresses?.() : undefined;
  const server = await listenAll(worker.app.fetch, attached ?? [config.workers.host], config.workers.port);
  const host = config.workers.host.includes(':') ? `[${config.workers.host}]` : config.workers.host;
  const url = config.workers.url ?? `http://${host}:${server.port}`;

  const beat = async (): Promise<WorkerBeat> => {
    const s = await driver.status();
    return {
      id,
      url,
      maxSessions: config.workers.maxSessions,
      sessions: worker.sessions,
      ready: s.ready,
      gatewayReady: s.gatewayNetworks?.ready ?? s.ready,
      detail: s.detail,
    };
  };
  await registerWorker(database.db, await beat(), systemClock.now());
  // Sessions of API processes that stopped calling (crashed, scaled away) go after five minutes.
  const reaper = setInterval(() => {
    worker.reapAbandoned(ABANDONED_MS).catch((err: unknown) => logger.warn({ err }, 'sandbox reap failed'));
  }, 60_000);
  reaper.unref();
  const timer = setInterval(() => {
    beat()
      .then((b) => heartbeat(database.db, b, systemClock.now()))
      .catch((err: unknown) => logger.warn({ err }, 'worker heartbeat failed'));
  }, config.workers.heartbeatMs);
  timer.unref();
  const status = await driver.status();
  logger.info({ id, url, sandbox: status }, 'worksample worker listening');
  out.write(
    `\nworksample worker ${id} is running at ${url}\n  sandbox: ${status.driver}${status.ready ? '' : ` (not ready: ${status.detail})`}\n\n`,
  );

  return {
    id,
    url,
    async close() {
      clearInterval(timer);
      clearInterval(reaper);
      await shutdown(
        [
          {
            name: 'left the worker pool',
            run: () => markStopped(database.db, id, systemClock.now()),
            maxMs: 1000,
          },
          { name: 'destroyed sandboxes', run: () => worker.destroyAll(), maxMs: 4000 },
          { name: 'closed the gateway forwarder', run: () => forwarder.close(), maxMs: 500 },
          {
            name: 'closed the worker API',
            run: () => server.close(500),
            maxMs: 1000,
          },
          { name: 'closed the database', run: () => database.close(), maxMs: 1000 },
        ],
        { logger, budgetMs: 7500 },
      );
    },
  };
}
