/**
 * Test harness: a real app over a real database (SQLite in memory, or a throwaway Postgres database
 * when TEST_DATABASE_URL is set), a fake clock, and helpers that act like a browser with cookies.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import SQLite from 'better-sqlite3';
import { migrationProvider } from '../db/index.ts';
import { loadConfig, type Config } from '../config/index.ts';
import { openDatabase, type Database } from '../db/index.ts';
import { silentLogger, type Logger } from '../logger/index.ts';
import { FakeClock, randomIds, systemClock, type ServiceContext } from '../platform/index.ts';
import { createHttp } from '../http/index.ts';
import { createServices } from '../services/index.ts';
import type { TerminalOptions } from '../terminal/index.ts';
import { noSandbox, defaultLimits, type ManagerOptions, type SandboxDriver } from '../sandbox/index.ts';
import { mockUpstream, type LlmProvider, type LlmUpstream } from '../llm/index.ts';
import { createUser, type Role } from '../users/index.ts';
import { importTask } from '../tasks/index.ts';
import { createInvitation } from '../invitations/index.ts';
import type { Mailer } from '../email/index.ts';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const exampleTaskDir = path.join(repoRoot, 'tasks/hello-llm');
export const PASSWORD = 'correct horse battery staple';

export type Dialect = 'sqlite' | 'postgres';

/** Dialects to run storage suites on: SQLite always, Postgres when TEST_DATABASE_URL is set. */
export function dialects(): Dialect[] {
  return process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

/**
 * Drops a Postgres database made for a test or a benchmark (`admin`: a URL of the server as the role
 * that created it). Not `drop database … with (force)`: FORCE refuses outright ("must be a member of the
 * role whose process is being terminated") when an autovacuum worker happens to be in the database, as
 * it often is after a busy run (PostgreSQL 15 checks the worker's role, which is none, and only a member
 * of pg_signal_backend passes). Instead it ends this role's own leftover connections (a pool a test did
 * not close), which the role may, and lets a plain DROP DATABASE stop an autovacuum worker itself (it
 * signals it and waits up to 5 s).
 */
export async function dropDatabase(admin: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where datname = $1 and usename = current_user and pid <> pg_backend_pid()`,
      [name],
    );
    await c.query(`drop database if exists ${name}`);
  } finally {
    await c.end();
  }
}

/** A fresh, empty database of the dialect; drop() removes it. */
export async function freshDatabaseUrl(dialect: Dialect): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') return { url: 'sqlite::memory:', drop: async () => {} };
  const admin = process.env.TEST_DATABASE_URL;
  if (!admin) throw new Error('TEST_DATABASE_URL is not set');
  const name = `ws_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => dropDatabase(admin, name),
  };
}

/**
 * An empty database of the dialect as a bare Kysely and its migrator, for migration tests that migrate
 * step by step and write rows of older shapes (int8 read as numbers, as the server's own pool does);
 * close() destroys it and drops the Postgres database.
 */
export async function migrationDb(
  dialect: Dialect,
): Promise<{ db: Kysely<any>; migrator: Migrator; close(): Promise<void> }> {
  let db: Kysely<any>;
  let drop = async () => {};
  if (dialect === 'sqlite') {
    const raw = new SQLite(':memory:');
    raw.pragma('foreign_keys = ON');
    db = new Kysely<any>({ dialect: new SqliteDialect({ database: raw }) });
  } else {
    const fresh = await freshDatabaseUrl('postgres');
    drop = fresh.drop;
    const types = {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'),
    } as unknown as pg.CustomTypesConfig;
    db = new Kysely<any>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: fresh.url, types }) }),
    });
  }
  return {
    db,
    migrator: new Migrator({ db, provider: migrationProvider(dialect) }),
    async close() {
      await db.destroy();
      await drop();
    },
  };
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PUBLIC_URL: 'http://localhost:8080',
    DEMO_SEED: 'false',
    ...env,
  });
}

export interface Browser {
  cookies: Map<string, string>;
  csrf?: string;
}

export async function makeTestApp(
  opts: {
    dialect?: Dialect;
    env?: Record<string, string>;
    driver?: SandboxDriver;
    sandbox?: Partial<Pick<ManagerOptions, 'limits' | 'poolSize' | 'warmEnvs' | 'maxConcurrent' | 'idleMs'>>;
    /** Terminal timings and bounds. */
    terminal?: Partial<TerminalOptions>;
    /** The LLM upstream behind the gateway (default: the mock model). */
    llm?: LlmUpstream;
    /** Upstreams for aliases that name a provider (the mock is implicit). */
    llmProviders?: Partial<Record<LlmProvider, LlmUpstream>>;
    /** The app's logger (default: silent). */
    logger?: Logger;
    /**
     * An open database to build on (a second app over the same file: a restart); the caller closes it.
     * Default: a fresh one of `dialect`, dropped at close.
     */
    database?: Database;
    clock?: FakeClock;
    /** Outgoing mail (default: SMTP from env SMTP_URL, else none). */
    mailer?: Mailer;
  } = {},
) {
  const fresh = opts.database
    ? { url: '', drop: async () => {} }
    : await freshDatabaseUrl(opts.dialect ?? 'sqlite');
  const database: Database = opts.database ?? (await openDatabase(fresh.url));
  const clock = opts.clock ?? new FakeClock();
  const config = testConfig(opts.env);
  const services = createServices({
    database,
    clock,
    ids: randomIds,
    driver: opts.driver ?? noSandbox(),
    sandbox: {
      limits: defaultLimits,
      poolSize: 0,
      warmEnvs: [],
      maxConcurrent: 2,
      ...opts.sandbox,
    },
    llm: opts.llm ?? mockUpstream(clock),
    llmProviders: opts.llmProviders,
    logger: opts.logger ?? silentLogger,
    config,
    terminal: opts.terminal,
    mailer: opts.mailer,
  });
  const { app, injectWebSocket } = createHttp(services);
  const ctx: ServiceContext = services.ctx;

  /** Sends a request as `who`, keeping cookies like a browser and sending its CSRF token on mutations. */
  async function req(
    who: Browser | undefined,
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const h: Record<string, string> = { ...headers };
    if (who?.cookies.size) h.cookie = [...who.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (who?.csrf && method !== 'GET' && !('x-csrf-token' in h)) h['x-csrf-token'] = who.csrf;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await app.request(url, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const sc of res.headers.getSetCookie()) {
      const [pair] = sc.split(';');
      const [k, v] = pair!.split('=');
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(sc) || !v) who?.cookies.delete(k!);
      else who?.cookies.set(k!, v);
    }
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  }

  async function staff(
    role: Role,
    email = `${role}-${randomBytes(3).toString('hex')}@example.com`,
  ): Promise<Browser> {
    await createUser(ctx, { email, role, password: PASSWORD });
    const b: Browser = { cookies: new Map() };
    const r = await req(b, 'POST', '/api/auth/login', { email, password: PASSWORD });
    if (r.status !== 200) throw new Error(`login failed: ${r.text}`);
    b.csrf = r.json.csrfToken;
    return b;
  }

  async function importExample(dir = exampleTaskDir) {
    return importTask(ctx, dir);
  }

  /** Invites a candidate to the example task and returns the token from the link. */
  async function invite(
    name = 'Ada Lovelace',
    email = 'ada@example.com',
    expiresInDays?: number,
    taskSlug = 'hello-llm',
  ) {
    const { invitation, link } = await createInvitation(
      ctx,
      { taskSlug, candidateName: name, candidateEmail: email, expiresInDays },
      null,
    );
    return { invitation, link, token: link.split('/i/')[1]! };
  }

  /** Opens an invitation link like a browser and returns the candidate's session. */
  async function candidate(token: string): Promise<Browser> {
    const b: Browser = { cookies: new Map() };
    const r = await req(b, 'POST', '/api/invitations/open', { token });
    if (r.status !== 200) throw new Error(`open failed: ${r.text}`);
    b.csrf = r.json.csrfToken;
    return b;
  }

  /** Invite + open + start: a candidate in a running attempt. */
  async function startedCandidate(name?: string, email?: string, taskSlug?: string) {
    const inv = await invite(name, email, undefined, taskSlug);
    const b = await candidate(inv.token);
    const r = await req(b, 'POST', '/api/candidate/start');
    if (r.status !== 200) throw new Error(`start failed: ${r.text}`);
    return {
      browser: b,
      attemptId: r.json.attempt.id as string,
      attempt: r.json.attempt,
      invitation: inv.invitation,
    };
  }

  return {
    app,
    /** Hooks a real server's WebSocket upgrades to `app` (see server/testing/terminal.ts). */
    injectWebSocket,
    services,
    ctx,
    clock,
    config,
    database,
    req,
    staff,
    importExample,
    invite,
    candidate,
    startedCandidate,
    async close() {
      await services.close();
      if (opts.database) return;
      await database.close();
      await fresh.drop();
    },
  };
}

export type TestApp = Awaited<ReturnType<typeof makeTestApp>>;

/**
 * Imports the example task into the database at `url` and makes `count` invitations to it, through
 * the service verbs (no server): the links a candidate opens, under `publicUrl`.
 */
export async function seedInvitations(url: string, publicUrl: string, count: number): Promise<string[]> {
  const database = await openDatabase(url);
  try {
    const config = loadConfig({ DATABASE_URL: url, PUBLIC_URL: publicUrl, LOG_LEVEL: 'silent' });
    const ctx: ServiceContext = {
      db: database.db,
      clock: systemClock,
      ids: randomIds,
      config,
      logger: silentLogger,
    };
    await importTask(ctx, exampleTaskDir);
    const links: string[] = [];
    for (let i = 0; i < count; i++) {
      const { link } = await createInvitation(
        ctx,
        { taskSlug: 'hello-llm', candidateName: `Candidate ${i}`, candidateEmail: `c${i}@example.com` },
        null,
      );
      links.push(link);
    }
    return links;
  } finally {
    await database.close();
  }
}
