/**
 * Configuration from environment variables, validated with zod.
 * A wrong value stops startup with a message naming the variable and what it accepts.
 * Nothing reads process.env at import time: callers pass the env in.
 */
import { z } from 'zod';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { subnetPoolProblem } from './cidr.ts';
import { oidcEnvShape, staffAuthConfig, type StaffAuthConfig } from './oidc.ts';

export type { OidcConfig, StaffAuthConfig } from './oidc.ts';
export { formatCidr, ipv4ToString, overlaps, parseCidr, rangeSize, type Ipv4Range } from './cidr.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = (what: string) =>
  z.coerce
    .number({ message: `expected ${what}` })
    .int({ message: `expected ${what}` })
    .positive({ message: `expected ${what}` });

const envSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], { message: 'expected development, production or test' })
    .default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce
    .number({ message: 'expected a port number 0-65535' })
    .int()
    .min(0, { message: 'expected a port number 0-65535' })
    .max(65535, { message: 'expected a port number 0-65535' })
    .default(8080),
  PUBLIC_URL: z.url({ message: 'expected an absolute http(s) URL such as http://localhost:8080' }).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, {
      message: 'expected sqlite:<file path> or postgres://user:pass@host:port/db',
    })
    .default('sqlite:./data/worksample.db'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'expected one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  TASKS_DIR: z.string().min(1).default('./tasks'),
  ASSESSMENTS_DIR: z.string().min(1).default('./assessments'),
  WEB_DIST: z.string().min(1).default('./web/dist'),
  SANDBOX_DRIVER: z
    .enum(['auto', 'docker', 'local', 'none', 'workers'], {
      message: 'expected auto, docker, local, none or workers',
    })
    .default('auto'),
  ALLOW_LOCAL_SANDBOX_IN_PRODUCTION: bool.default(false),
  LLM_UPSTREAM: z
    .enum(['mock', 'openai', 'anthropic'], { message: 'expected mock, openai or anthropic' })
    .default('mock'),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.url({ message: 'expected an absolute URL' }).optional(),
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: z.url({ message: 'expected an absolute URL' }).optional(),
  DEMO_SEED: bool.optional(),
  METRICS_TOKEN: z.string().min(16, { message: 'expected at least 16 characters' }).optional(),
  SUBMIT_GRACE_SECONDS: z.coerce
    .number({ message: 'expected a number of seconds >= 0' })
    .int()
    .min(0, { message: 'expected a number of seconds >= 0' })
    .default(30),
  DEADLINE_SWEEP_SECONDS: positiveInt('a positive number of seconds').default(15),
  AUTOSAVE_SYNC_COMMIT: bool.optional(),
  INVITATION_TTL_DAYS: positiveInt('a positive number of days').default(14),
  MAX_FILE_BYTES: positiveInt('a positive number of bytes').default(1024 * 1024),
  MAX_WORKSPACE_BYTES: positiveInt('a positive number of bytes').default(20 * 1024 * 1024),
  MAX_WORKSPACE_FILES: positiveInt('a positive number').default(500),
  MAX_ATTEMPT_STORAGE_BYTES: positiveInt('a positive number of bytes').default(64 * 1024 * 1024),
  MAX_ATTEMPT_EDIT_LOG_BYTES: positiveInt('a positive number of bytes').default(8 * 1024 * 1024),
  GATEWAY_PORT: z.coerce
    .number({ message: 'expected a port number 1-65535' })
    .int()
    .min(1, { message: 'expected a port number 1-65535' })
    .max(65535, { message: 'expected a port number 1-65535' })
    .default(8081),
  GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  SANDBOX_ALLOW_UNFIREWALLED_GATEWAY: bool.default(false),
  SANDBOX_GATEWAY_MODE: z
    .enum(['auto', 'host', 'attach'], { message: 'expected auto, host or attach' })
    .default('auto'),
  SANDBOX_INSTANCE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { message: 'expected 1-40 lowercase letters, digits or dashes' })
    .optional(),
  SANDBOX_AUTO_BUILD: bool.default(true),
  SANDBOX_POOL_SIZE: z.coerce
    .number({ message: 'expected a whole number >= 0' })
    .int()
    .min(0, { message: 'expected a whole number >= 0' })
    .max(20, { message: 'at most 20' })
    .default(1),
  SANDBOX_MAX_CONCURRENT: positiveInt('a positive number').default(4),
  SANDBOX_RUN_SECONDS: positiveInt('a positive number of seconds').default(20),
  SANDBOX_GRADE_SECONDS: positiveInt('a positive number of seconds').default(120),
  SANDBOX_MEMORY_MB: positiveInt('a positive number of MiB').default(512),
  SANDBOX_CPUS: z.coerce
    .number({ message: 'expected a positive number of cores' })
    .positive({ message: 'expected a positive number of cores' })
    .default(1),
  SANDBOX_PIDS: positiveInt('a positive number').default(128),
  ORPHAN_SWEEP_SECONDS: positiveInt('a positive number of seconds').default(60),
  GRADING_MAX_TRIES: positiveInt('a positive number').default(6),
  GRADING_RETRY_BASE_SECONDS: positiveInt('a positive number of seconds').default(5),
  GRADING_RETRY_MAX_SECONDS: positiveInt('a positive number of seconds').default(300),
  SANDBOX_SUBNET_POOL: z
    .string()
    .default('10.213.0.0/16')
    .superRefine((v, ctx) => {
      const problem = subnetPoolProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  SANDBOX_IDLE_MINUTES: z.coerce
    .number({ message: 'expected a whole number of minutes >= 0' })
    .int({ message: 'expected a whole number of minutes >= 0' })
    .min(0, { message: 'expected a whole number of minutes >= 0' })
    .default(10),
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  WEBHOOK_TIMEOUT_SECONDS: z.coerce
    .number({ message: 'expected a positive number of seconds' })
    .positive({ message: 'expected a positive number of seconds' })
    .default(10),
  WEBHOOK_MAX_TRIES: positiveInt('a positive number').default(8),
  WEBHOOK_RETRY_BASE_SECONDS: z.coerce
    .number({ message: 'expected a positive number of seconds' })
    .positive({ message: 'expected a positive number of seconds' })
    .default(10),
  WEBHOOK_RETRY_MAX_SECONDS: positiveInt('a positive number of seconds').default(6 * 3600),
  WEBHOOK_DISABLE_AFTER: z.coerce
    .number({ message: 'expected a whole number >= 0' })
    .int({ message: 'expected a whole number >= 0' })
    .min(0, { message: 'expected a whole number >= 0' })
    .default(20),
  WEBHOOK_RETENTION_DAYS: z.coerce
    .number({ message: 'expected a whole number of days >= 0' })
    .int({ message: 'expected a whole number of days >= 0' })
    .min(0, { message: 'expected a whole number of days >= 0' })
    .default(30),
  WORKER_TOKEN: z.string().min(32, { message: 'expected at least 32 characters' }).optional(),
  WORKER_HOST: z.string().min(1).default('127.0.0.1'),
  WORKER_PORT: z.coerce
    .number({ message: 'expected a port number 0-65535' })
    .int()
    .min(0, { message: 'expected a port number 0-65535' })
    .max(65535, { message: 'expected a port number 0-65535' })
    .default(8082),
  WORKER_URL: z.url({ message: 'expected an absolute http(s) URL such as http://10.0.0.5:8082' }).optional(),
  WORKER_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { message: 'expected 1-40 lowercase letters, digits or dashes' })
    .optional(),
  WORKER_MAX_SESSIONS: positiveInt('a positive number').default(200),
  WORKER_GATEWAY_UPSTREAM: z
    .string()
    .regex(/^[^\s:/]+:\d{1,5}$/, { message: "expected host:port of the API servers' LLM gateway" })
    .optional(),
  LOGIN_MAX_FAILURES: positiveInt('a positive number').default(5),
  LOGIN_WINDOW_SECONDS: positiveInt('a positive number of seconds').default(900),
  ...oidcEnvShape,
  SMTP_URL: z
    .string()
    .superRefine((v, ctx) => {
      const problem = smtpUrlProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  MAIL_FROM: z.string().max(320).optional(),
  REMINDER_HOURS: positiveInt('a positive number of hours').default(24),
});

/** Why an SMTP_URL is unusable, or undefined. Never echoes the password. */
function smtpUrlProblem(v: string): string | undefined {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return 'expected smtp://user:pass@host:587 or smtps://user:pass@host:465';
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:')
    return 'expected an smtp:// or smtps:// URL such as smtp://user:pass@host:587';
  if (!u.hostname) return 'expected a host, as in smtp://user:pass@host:587';
  return undefined;
}

/** The SMTP URL with its password replaced, for logs and error messages. */
export function redactSmtpUrl(v: string): string {
  try {
    const u = new URL(v);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable SMTP_URL]';
  }
}

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  publicUrl: string;
  databaseUrl: string;
  logLevel: string;
  tasksDir: string;
  /** Assessment folders (`<slug>/assessment.yaml`) imported on first run after the tasks. */
  assessmentsDir: string;
  webDist: string;
  /** `workers`: sandboxes run on `worksample worker` processes registered in the database (server/workers/). */
  sandboxDriver: 'auto' | 'docker' | 'local' | 'none' | 'workers';
  allowLocalSandboxInProduction: boolean;
  /** Serves model aliases that name no provider. */
  llmUpstream: 'mock' | 'openai' | 'anthropic';
  /** Provider credentials; a provider with a key also serves aliases that name it. */
  openaiApiKey: string | undefined;
  openaiBaseUrl: string | undefined;
  anthropicApiKey: string | undefined;
  anthropicBaseUrl: string | undefined;
  demoSeed: boolean;
  /** Bearer token for GET /metrics; without it only direct loopback requests are answered. */
  metricsToken: string | undefined;
  submitGraceMs: number;
  /**
   * Postgres: an autosave is acknowledged after its commit is fsynced (true, the default), or once
   * committed in Postgres's memory (false: survives a crash of this server, not of Postgres or its
   * machine; see docs/ARCHITECTURE.md, Durability). SQLite: no effect.
   */
  autosaveSyncCommit: boolean;
  deadlineSweepMs: number;
  invitationTtlMs: number;
  limits: WorkspaceLimits;
  login: { maxFailures: number; windowMs: number };
  /** Staff single sign-on (OIDC) and whether local passwords still sign staff in. */
  staffAuth: StaffAuthConfig;
  gatewayPort: number;
  /** Where the gateway listens besides sandbox networks (loopback; a private address for remote workers). */
  gatewayHost: string;
  /** Sandbox workers (`worksample worker`, and `serve` with SANDBOX_DRIVER=workers). */
  workers: WorkersConfig;
  sandbox: {
    /** Labels this deployment's containers so orphan sweeps never touch another deployment's. */
    instance: string;
    /** Build missing sandbox images in the background at startup. */
    autoBuild: boolean;
    allowUnfirewalledGateway: boolean;
    /**
     * How sandboxes reach the LLM gateway: `host` (the server runs on the engine's host and listens on
     * each network's bridge address, confined by the host firewall), `attach` (the server runs in a
     * container and attaches itself to each sandbox network), `auto` (attach when in a container).
     */
    gatewayMode: 'auto' | 'host' | 'attach';
    poolSize: number;
    maxConcurrent: number;
    runMs: number;
    gradeMs: number;
    memoryBytes: number;
    cpus: number;
    pids: number;
    orphanSweepMs: number;
    /** Private IPv4 range the /28 subnets of LLM-task sandbox networks are taken from. */
    subnetPool: string;
    /** An attempt's sandbox unused this long is destroyed (recreated from its files on the next Run); 0 = never. */
    idleMs: number;
  };
  /** Grading jobs: tries per grading (engine errors are retried), and the backoff between tries. */
  grading: { maxTries: number; retryBaseMs: number; retryMaxMs: number };
  /** Webhook deliveries (server/webhooks/). */
  webhooks: {
    /** Allow destinations on loopback, private and link-local addresses (tests, internal receivers). */
    allowPrivate: boolean;
    timeoutMs: number;
    maxTries: number;
    retryBaseMs: number;
    retryMaxMs: number;
    /** An endpoint is disabled after this many deliveries in a row failed for good; 0 = never. */
    disableAfter: number;
    /** Finished deliveries (and their tries and events) older than this are deleted; 0 = kept forever. */
    retentionMs: number;
  };
  /**
   * Outgoing email (server/email/). `smtpUrl` undefined: no mail is sent and the UI says links must be
   * copied. The URL holds the SMTP password: never log it (`redactSmtpUrl`).
   */
  email: { smtpUrl: string | undefined; from: string; reminderMs: number };
}

export interface WorkspaceLimits {
  maxFileBytes: number;
  maxWorkspaceBytes: number;
  maxFiles: number;
  /** Stored revision bytes one attempt may use (compact: a busy hour is well under 1 MiB). */
  maxAttemptStorageBytes: number;
  /**
   * Of those, bytes of edit logs (typing for replay, server/workspace/edits.ts); past it edits are
   * dropped, never the saves.
   */
  maxAttemptEditLogBytes: number;
}

export interface WorkersConfig {
  /** Shared secret between API servers and workers (bearer on the worker's API); required for both sides. */
  token: string | undefined;
  /** The worker's listener. */
  host: string;
  port: number;
  /** Where API servers reach this worker (advertised in the workers table). */
  url: string | undefined;
  /** This worker's id (default: host name + port); labels its containers. */
  id: string | undefined;
  maxSessions: number;
  /** host:port of the API servers' gateway that the worker's sandbox-network listeners forward to. */
  gatewayUpstream: string;
  /** How often a worker writes its heartbeat, and after how long without one it counts as dead. */
  heartbeatMs: number;
  staleMs: number;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses and validates configuration from an env map (usually process.env). Throws ConfigError. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset": `FOO= npm start` should use the default, not fail.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0] ?? '?');
        // The SMTP URL carries a password, the worker token is a secret: a typo must not print them.
        const value =
          name === 'SMTP_URL'
            ? redactSmtpUrl(cleaned[name] ?? '')
            : name === 'WORKER_TOKEN'
              ? '***'
              : (cleaned[name] ?? '');
        return `${name}=${JSON.stringify(value)}: ${i.message}`;
      }),
    );
  }
  const e = parsed.data;
  if (e.SANDBOX_DRIVER === 'workers' && !e.WORKER_TOKEN) {
    throw new ConfigError([
      'WORKER_TOKEN: required when SANDBOX_DRIVER=workers (the secret the workers share)',
    ]);
  }
  if (e.LLM_UPSTREAM === 'openai' && !e.OPENAI_API_KEY) {
    throw new ConfigError(['OPENAI_API_KEY: required when LLM_UPSTREAM=openai']);
  }
  if (e.LLM_UPSTREAM === 'anthropic' && !e.ANTHROPIC_API_KEY) {
    throw new ConfigError(['ANTHROPIC_API_KEY: required when LLM_UPSTREAM=anthropic']);
  }
  const publicUrl = (
    e.PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' || e.HOST === '::' ? 'localhost' : e.HOST}:${e.PORT}`
  ).replace(/\/+$/, '');
  const staffAuth = staffAuthConfig(e, publicUrl);
  if (Array.isArray(staffAuth)) throw new ConfigError(staffAuth);
  const databaseUrl = e.DATABASE_URL.startsWith('sqlite:')
    ? `sqlite:${path.resolve(e.DATABASE_URL.slice('sqlite:'.length))}`
    : e.DATABASE_URL;
  return {
    nodeEnv: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    databaseUrl,
    logLevel: e.LOG_LEVEL,
    tasksDir: path.resolve(e.TASKS_DIR),
    assessmentsDir: path.resolve(e.ASSESSMENTS_DIR),
    webDist: path.resolve(e.WEB_DIST),
    sandboxDriver: e.SANDBOX_DRIVER,
    allowLocalSandboxInProduction: e.ALLOW_LOCAL_SANDBOX_IN_PRODUCTION,
    llmUpstream: e.LLM_UPSTREAM,
    openaiApiKey: e.OPENAI_API_KEY,
    openaiBaseUrl: e.OPENAI_BASE_URL,
    anthropicApiKey: e.ANTHROPIC_API_KEY,
    anthropicBaseUrl: e.ANTHROPIC_BASE_URL,
    // A production deployment gets no demo admin unless asked for.
    demoSeed: e.DEMO_SEED ?? e.NODE_ENV !== 'production',
    metricsToken: e.METRICS_TOKEN,
    submitGraceMs: e.SUBMIT_GRACE_SECONDS * 1000,
    autosaveSyncCommit: e.AUTOSAVE_SYNC_COMMIT ?? true,
    deadlineSweepMs: e.DEADLINE_SWEEP_SECONDS * 1000,
    invitationTtlMs: e.INVITATION_TTL_DAYS * 86_400_000,
    limits: {
      maxFileBytes: e.MAX_FILE_BYTES,
      maxWorkspaceBytes: e.MAX_WORKSPACE_BYTES,
      maxFiles: e.MAX_WORKSPACE_FILES,
      maxAttemptStorageBytes: e.MAX_ATTEMPT_STORAGE_BYTES,
      maxAttemptEditLogBytes: e.MAX_ATTEMPT_EDIT_LOG_BYTES,
    },
    login: { maxFailures: e.LOGIN_MAX_FAILURES, windowMs: e.LOGIN_WINDOW_SECONDS * 1000 },
    staffAuth,
    gatewayPort: e.GATEWAY_PORT,
    gatewayHost: e.GATEWAY_HOST,
    workers: {
      token: e.WORKER_TOKEN,
      host: e.WORKER_HOST,
      port: e.WORKER_PORT,
      url: e.WORKER_URL?.replace(/\/+$/, ''),
      id: e.WORKER_ID,
      maxSessions: e.WORKER_MAX_SESSIONS,
      gatewayUpstream: e.WORKER_GATEWAY_UPSTREAM ?? `127.0.0.1:${e.GATEWAY_PORT}`,
      heartbeatMs: 3000,
      staleMs: 10_000,
    },
    sandbox: {
      instance:
        e.SANDBOX_INSTANCE ?? `db-${createHash('sha256').update(databaseUrl).digest('hex').slice(0, 12)}`,
      autoBuild: e.SANDBOX_AUTO_BUILD,
      allowUnfirewalledGateway: e.SANDBOX_ALLOW_UNFIREWALLED_GATEWAY,
      gatewayMode: e.SANDBOX_GATEWAY_MODE,
      poolSize: e.SANDBOX_POOL_SIZE,
      maxConcurrent: e.SANDBOX_MAX_CONCURRENT,
      runMs: e.SANDBOX_RUN_SECONDS * 1000,
      gradeMs: e.SANDBOX_GRADE_SECONDS * 1000,
      memoryBytes: e.SANDBOX_MEMORY_MB * 1024 * 1024,
      cpus: e.SANDBOX_CPUS,
      pids: e.SANDBOX_PIDS,
      orphanSweepMs: e.ORPHAN_SWEEP_SECONDS * 1000,
      subnetPool: e.SANDBOX_SUBNET_POOL,
      idleMs: e.SANDBOX_IDLE_MINUTES * 60_000,
    },
    grading: {
      maxTries: e.GRADING_MAX_TRIES,
      retryBaseMs: e.GRADING_RETRY_BASE_SECONDS * 1000,
      retryMaxMs: Math.max(e.GRADING_RETRY_MAX_SECONDS, e.GRADING_RETRY_BASE_SECONDS) * 1000,
    },
    webhooks: {
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
      timeoutMs: Math.round(e.WEBHOOK_TIMEOUT_SECONDS * 1000),
      maxTries: e.WEBHOOK_MAX_TRIES,
      retryBaseMs: Math.round(e.WEBHOOK_RETRY_BASE_SECONDS * 1000),
      retryMaxMs: Math.max(
        e.WEBHOOK_RETRY_MAX_SECONDS * 1000,
        Math.round(e.WEBHOOK_RETRY_BASE_SECONDS * 1000),
      ),
      disableAfter: e.WEBHOOK_DISABLE_AFTER,
      retentionMs: e.WEBHOOK_RETENTION_DAYS * 24 * 3600_000,
    },
    email: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM ?? `worksample <no-reply@${mailDomain(e.PUBLIC_URL, e.HOST)}>`,
      reminderMs: e.REMINDER_HOURS * 3600_000,
    },
  };
}

function mailDomain(publicUrl: string | undefined, host: string): string {
  const h = publicUrl ? new URL(publicUrl).hostname : host;
  return h === '0.0.0.0' || h === '::' || h === '127.0.0.1' ? 'localhost' : h;
}

/** The documented variables, for the README table and `worksample --help`. */
export const configVariables = Object.keys(envSchema.shape);
