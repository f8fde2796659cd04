/**
 * The composition root: `createServices(deps)` builds every long-lived service of the application
 * once — the sandbox manager, the LLM gateway, the run queue, the grading jobs, task verification, sign-in
 * throttling — and wires the attempt hooks between them. `createApp(services)` (server/http/) only
 * maps HTTP onto these services; `serve`, the CLI, benchmarks and tests all build through here.
 */
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import type { Logger } from '../logger/index.ts';
import type { Clock, IdGenerator, ServiceContext } from '../platform/index.ts';
import { SandboxManager, type ManagerOptions, type SandboxDriver } from '../sandbox/index.ts';
import type { LlmProvider, LlmUpstream } from '../llm/index.ts';
import { Gateway } from '../llm-gateway/index.ts';
import { RunMirror, RunService } from '../runs/index.ts';
import { TerminalService, type TerminalOptions } from '../terminal/index.ts';
import { GradingQueue } from '../grading-jobs/index.ts';
import { assignReviewers } from '../reviews/index.ts';
import { VerifyService } from '../verify/index.ts';
import { createLoginThrottle, loginPolicy, ssoStartPolicy, type LoginThrottle } from '../auth/index.ts';
import { createSso, openidClient, type OidcClient, type SsoService, SSO_LOGIN_MS } from '../sso/index.ts';
import { WebhookWorker } from '../webhooks/index.ts';
import { greenhouseCompletion } from '../greenhouse/index.ts';
import { EmailOutbox, smtpMailer, type Mailer } from '../email/index.ts';
import { Autosave } from '../workspace/index.ts';

export interface ServiceDeps {
  database: Database;
  clock: Clock;
  ids: IdGenerator;
  /** Where candidate code runs (Docker, the local fallback, or none). */
  driver: SandboxDriver;
  /** How the sandbox manager uses the driver: limits, warm pool, concurrency and queue bounds. */
  sandbox: Omit<ManagerOptions, 'driver' | 'logger' | 'gatewayNetworks'>;
  /** The deployment's upstream (aliases that name no provider). */
  llm: LlmUpstream;
  /** Upstreams for aliases that name a provider (manifest `llm.models[].provider`); the mock is implicit. */
  llmProviders?: Partial<Record<LlmProvider, LlmUpstream>>;
  logger: Logger;
  config: Config;
  /** Sign-in throttling; defaults to the database throttle from config.login (shared by replicas). */
  loginThrottle?: LoginThrottle;
  /** The OIDC provider client for staff SSO; defaults to openid-client over config.staffAuth.oidc. */
  oidcClient?: OidcClient;
  /** Terminal timings and bounds (defaults in server/terminal/service.ts). */
  terminal?: Partial<TerminalOptions>;
  /** Outgoing mail; defaults to SMTP from config.email.smtpUrl (none without it). */
  mailer?: Mailer;
  /** Password-reset requests per account and address (sign-in page); defaults from config.login. */
  resetThrottle?: LoginThrottle;
  /** "Sign in with SSO" starts per address; defaults to ssoStartPolicy. */
  ssoThrottle?: LoginThrottle;
}

export interface Services {
  readonly ctx: ServiceContext;
  readonly database: Database;
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly llm: LlmUpstream;
  readonly sandbox: SandboxManager;
  readonly gateway: Gateway;
  readonly runs: RunService;
  /** The workspace's Terminal: one recorded shell per attempt in its sandbox session. */
  readonly terminal: TerminalService;
  /** Grading jobs: queued at submit and by staff re-grades, retried on engine errors, resumed at start. */
  readonly grading: GradingQueue;
  readonly verify: VerifyService;
  readonly loginThrottle: LoginThrottle;
  /** Staff single sign-on; undefined when OIDC_ISSUER is not set. */
  readonly sso: SsoService | undefined;
  /** Webhooks: tails the timelines into deliveries and sends them (started by `serve`, or a test). */
  readonly webhooks: WebhookWorker;
  readonly resetThrottle: LoginThrottle;
  /** SSO sign-ins started per address (each stores a pending row until it is used or expires). */
  readonly ssoThrottle: LoginThrottle;
  /** Outgoing email: the outbox worker and sweeps (started by `serve`, like grading). */
  readonly email: EmailOutbox;
  /** The editor's autosave in one round trip (falls back to the files route when it cannot prove a save). */
  readonly autosave: Autosave;
  /** Waits for background jobs (gradings due now, releases): tests and shutdown. */
  settle(): Promise<void>;
  /** Settles, stops the grading worker, then closes the sandboxes and the gateway's listeners (the database is the caller's). */
  close(): Promise<void>;
}

export function createServices(deps: ServiceDeps): Services {
  const ctx: ServiceContext = {
    db: deps.database.db,
    clock: deps.clock,
    ids: deps.ids,
    config: deps.config,
    logger: deps.logger,
  };
  const gateway = new Gateway(
    ctx,
    deps.llm,
    deps.config.gatewayPort,
    deps.llmProviders,
    deps.database.dialect === 'postgres', // replicas may share it
  );
  const sandbox = new SandboxManager({
    ...deps.sandbox,
    driver: deps.driver,
    logger: deps.logger,
    clock: deps.sandbox.clock ?? deps.clock,
    // The gateway listens on each sandbox network's gateway address as it comes and goes.
    gatewayNetworks: gateway,
  });
  const runs = new RunService(ctx, sandbox, gateway);
  if (deps.database.dialect === 'postgres') {
    // Replicas may share the database: a Run's live events are mirrored for followers elsewhere.
    const mirror = new RunMirror(ctx, deps.database);
    runs.mirror = mirror;
    runs.hub.mirror = (runId, e) => mirror.publish(runId, e);
  }
  const terminal = new TerminalService(ctx, sandbox, runs, deps.terminal);
  const mailer =
    deps.mailer ?? (deps.config.email.smtpUrl ? smtpMailer(deps.config.email.smtpUrl) : undefined);
  const exclusive = deps.database.dialect === 'sqlite'; // Postgres may have several replicas
  const email = new EmailOutbox({ ctx, mailer, exclusive });
  ctx.mail = email;
  const grading = new GradingQueue({
    ctx,
    manager: sandbox,
    llm: gateway,
    concurrency: deps.sandbox.maxConcurrent,
    exclusive,
  });
  // Greenhouse's completion PATCHes ride the webhook queue.
  const webhooks = new WebhookWorker({ ctx, fanOut: [greenhouseCompletion(ctx)], exclusive });
  ctx.hooks = {
    attemptStarted(id) {
      gateway.attemptStarted(id);
      runs.attemptStarted(id);
      webhooks.kick();
    },
    attemptSubmitted(id) {
      gateway.attemptSubmitted(id);
      // Before the runs give the container back: the terminal says why it closes, then its shell dies.
      runs.track(terminal.attemptSubmitted(id));
      runs.attemptSubmitted(id);
      webhooks.kick();
      // Tracked with the runs' background work: settling waits for the grading too.
      runs.track(grading.submitted(id));
      // Round robin to the task's number of reviewers (admins can reassign).
      runs.track(assignReviewers(ctx, id));
      // The candidate's confirmation comes from the attempt_events tail (idempotent, also swept).
      email.track(email.sweep());
    },
  };
  const verify = new VerifyService({
    ctx,
    runs,
    gateway,
    driverName: sandbox.driverName,
    sandboxStatus: () => sandbox.status(),
  });
  const { maxFailures, windowMs } = deps.config.login;
  const throttleDeps = { db: ctx.db, clock: deps.clock, ids: ctx.ids, dialect: deps.database.dialect };
  const loginThrottle =
    deps.loginThrottle ?? createLoginThrottle(throttleDeps, loginPolicy(maxFailures, windowMs), 'login');
  const oidc = deps.config.staffAuth.oidc;
  const sso = oidc && createSso(ctx, oidc, deps.oidcClient ?? openidClient(oidc, deps.clock));
  // Every reset request counts: a few per account and address per window, a ceiling per address.
  const resetThrottle =
    deps.resetThrottle ??
    createLoginThrottle(throttleDeps, loginPolicy(Math.min(3, maxFailures), windowMs), 'reset');
  // "Sign in with SSO" stores a pending sign-in per click: a ceiling per address bounds those rows.
  const ssoThrottle =
    deps.ssoThrottle ?? createLoginThrottle(throttleDeps, ssoStartPolicy(SSO_LOGIN_MS), 'sso');
  return {
    ctx,
    database: deps.database,
    config: deps.config,
    logger: deps.logger,
    clock: deps.clock,
    llm: deps.llm,
    sandbox,
    gateway,
    runs,
    terminal,
    grading,
    verify,
    loginThrottle,
    sso,
    webhooks,
    resetThrottle,
    ssoThrottle,
    email,
    autosave: new Autosave(ctx, { dialect: deps.database.dialect }),
    async settle() {
      await runs.settle();
      await grading.settle();
      await runs.settle();
      await webhooks.settle();
      await email.settle();
    },
    async close() {
      runs.stop();
      await terminal.close();
      await runs.settle();
      await grading.settle();
      grading.stop();
      webhooks.stop();
      await webhooks.settle();
      await email.settle();
      email.close();
      await sandbox.close();
      await gateway.close();
      await runs.mirror?.close();
    },
  };
}
