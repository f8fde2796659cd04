/**
 * `worksample serve`: wires real dependencies, runs migrations, seeds a demo on first run,
 * auto-submits overdue attempts at startup and periodically, sweeps orphaned sandboxes, and listens.
 */
import { ConfigError, type Config } from './config/index.ts';
import { openDatabase } from './db/index.ts';
import { createLogger } from './logger/index.ts';
import { randomIds, systemClock } from './platform/index.ts';
import { createHttp } from './http/index.ts';
import { createServices } from './services/index.ts';
import { isWildcard, listenAll } from './http/index.ts';
import { shutdown } from './shutdown/index.ts';
import { createSandboxDriver, limitsFromConfig } from './sandbox/index.ts';
import { environments, imageResolver } from './sandbox/index.ts';
import { upstreamsFromConfig } from './llm/index.ts';
import { sweepDeadlines } from './attempts/index.ts';
import { deleteExpiredSessions } from './auth/index.ts';
import { seedDemo } from './demo/index.ts';
import { RemoteDriver } from './workers/index.ts';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(
  config: Config,
  out: NodeJS.WritableStream = process.stdout,
): Promise<RunningServer> {
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config.databaseUrl);
  const imageOf = imageResolver();
  // SANDBOX_DRIVER=workers: sandboxes run on `worksample worker` processes; this one needs no Docker socket.
  const driver =
    config.sandboxDriver === 'workers'
      ? new RemoteDriver({
          db: database.db,
          clock: systemClock,
          token: config.workers.token!,
          staleMs: config.workers.staleMs,
          owner: config.sandbox.instance,
          logger,
        })
      : await createSandboxDriver(config, logger, imageOf);
  const { default: llm, providers: llmProviders } = upstreamsFromConfig(config, systemClock);
  const services = createServices({
    database,
    clock: systemClock,
    ids: randomIds,
    driver,
    sandbox: {
      limits: limitsFromConfig(config),
      poolSize: config.sandbox.poolSize,
      warmEnvs: [...environments],
      maxConcurrent: config.sandbox.maxConcurrent,
      idleMs: config.sandbox.idleMs,
    },
    llm,
    llmProviders,
    logger,
    config,
  });
  const { app, injectWebSocket } = createHttp(services);
  const { ctx, sandbox } = services;
  // The gateway answers on loopback (local driver, tools; or GATEWAY_HOST, where sandbox workers on other
  // hosts forward to) and on each sandbox network of this process as it appears.
  await services.gateway.up(config.gatewayHost).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'EADDRINUSE'
      ? new ConfigError([
          `GATEWAY_PORT=${config.gatewayPort}: the port is already in use on ${config.gatewayHost}; choose a free port`,
        ])
      : err;
  });

  // Runs cut off by a previous crash are recorded as such; their containers are orphans now. On Postgres
  // other replicas may be running theirs: only runs past their lease are cut off (and, from then on, by
  // every replica as leases lapse).
  await services.runs.recover({ exclusive: database.dialect === 'sqlite' });
  // Orphans of a previous process go; missing images are built in the background; the pool warms.
  await sandbox.start({ autoBuild: config.sandbox.autoBuild });
  const sandboxStatus = await sandbox.status();

  // Mirrored run events whose run ended long ago (a process that died before deleting its own).
  await services.runs.mirror?.prune().catch((err: unknown) => logger.warn({ err }, 'run event prune failed'));
  // Gradings cut off by a shutdown or crash go back in line; submissions never queued get a grading.
  await services.grading.start();
  // Webhook tries cut off by a shutdown or crash go back in line; the timelines are tailed from the cursor.
  await services.webhooks.start();
  // Mail cut off by a shutdown or crash goes back in line; reminders and confirmations are swept.
  await services.email.start();
  // Deadlines that passed while the server was down are settled before the first request.
  await sweepDeadlines(ctx);
  const seed = config.demoSeed ? await seedDemo(ctx) : undefined;
  const timer = setInterval(() => {
    sweepDeadlines(ctx).catch((err: unknown) => logger.error({ err }, 'deadline sweep failed'));
    deleteExpiredSessions(ctx).catch((err: unknown) => logger.error({ err }, 'session cleanup failed'));
  }, config.deadlineSweepMs);
  timer.unref();
  const orphanTimer = setInterval(() => {
    sandbox.removeOrphans().catch((err: unknown) => logger.warn({ err }, 'orphan sweep failed'));
  }, config.sandbox.orphanSweepMs);
  orphanTimer.unref();
  // Idle attempts' sandboxes go (recreated from their files on the next Run): checked a few times per idle period.
  const idleTimer = config.sandbox.idleMs
    ? setInterval(
        () => {
          sandbox.reclaimIdle().catch((err: unknown) => logger.warn({ err }, 'idle sandbox sweep failed'));
        },
        Math.min(60_000, Math.max(5_000, config.sandbox.idleMs / 4)),
      )
    : undefined;
  idleTimer?.unref();

  // Attach mode: the container joins sandbox networks, so the API must not bind the wildcard.
  const attached = isWildcard(config.host) ? await sandbox.apiAddresses() : undefined;
  const hosts = attached ?? [config.host];
  const server = await listenAll(app.fetch, hosts, config.port, injectWebSocket);
  const port = server.port;
  if (hosts.length > 1) logger.info({ hosts, port }, 'API listening on these addresses only');
  // PUBLIC_URL is used as given (a proxy's address); only PORT=0 makes the port known late.
  const url = config.port === 0 ? config.publicUrl.replace(/:0$/, `:${port}`) : config.publicUrl;
  logger.info({ url, database: database.dialect, sandbox: sandboxStatus }, 'worksample listening');

  const shown = await sandbox.status(); // may now say the images are being built
  const lines = [
    `\nworksample is running at ${url}`,
    `  database: ${database.dialect}   LLM: ${config.llmUpstream}   sandbox: ${shown.driver}${shown.ready ? '' : ` (not ready: ${shown.detail})`}`,
    ...(shown.warning ? [`  WARNING: ${shown.warning}`] : []),
  ];
  if (seed) {
    lines.push(
      '',
      'First run: created a demo admin (shown once; change it or create your own with `worksample users add`):',
      `  email:    ${seed.admin.email}`,
      `  password: ${seed.admin.password}`,
      '',
      'Demo invitation links (open one in a browser to try the candidate side):',
      ...seed.invitations.map((i) => `  ${i.task}: ${i.link.replace(config.publicUrl, url)}`),
      ...seed.taskErrors.map((e) => `  could not import: ${e}`),
    );
  }
  out.write(`${lines.join('\n')}\n\n`);

  return {
    url,
    async close() {
      clearInterval(timer);
      clearInterval(orphanTimer);
      clearInterval(idleTimer);
      // Within Docker's 10 s stop timeout; what an abandoned step leaves is picked up at next start.
      await shutdown(
        [
          { name: 'stopped accepting connections', run: async () => server.stopAccepting() },
          {
            name: 'ended live run streams',
            run: async () => services.runs.hub.closeAll('the server is restarting'),
          },
          // Terminal sockets are upgraded connections the HTTP server no longer tracks: closed here.
          { name: 'closed terminals', run: () => services.terminal.close(), maxMs: 1000 },
          { name: 'closed HTTP connections', run: () => server.close(1000), maxMs: 1500 },
          // Grading still running is left in the database as running, and queued again at start.
          { name: 'stopped taking grading jobs', run: async () => services.grading.stop() },
          // Tries in flight are cut off and sent again at the next start.
          { name: 'stopped webhook deliveries', run: async () => services.webhooks.stop() },
          { name: 'stopped sending email', run: async () => services.email.stop() },
          { name: 'waited for grading to finish', run: () => services.settle(), maxMs: 1500 },
          { name: 'closed the database', run: () => database.close(), maxMs: 1000 },
          { name: 'destroyed sandboxes', run: () => sandbox.close(), maxMs: 2500 },
          {
            // Grading and verification sessions still busy: everything of this instance goes.
            name: 'removed sandboxes of unfinished jobs',
            run: () => sandbox.removeEverything(),
            maxMs: 2000,
          },
          { name: 'closed the LLM gateway', run: () => services.gateway.close(), maxMs: 500 },
        ],
        { logger, budgetMs: 7500 },
      );
    },
  };
}
