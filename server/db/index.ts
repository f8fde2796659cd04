/**
 * Database connection: SQLite (default, a file under ./data/) or Postgres (DATABASE_URL=postgres://…),
 * the same Kysely queries on both. Migrations run on open.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type SqlBool } from 'kysely';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { DB } from './schema.ts';
import { migrationProvider } from './migrations.ts';
export { migrationProvider } from './migrations.ts';

export type { DB } from './schema.ts';
export type Db = Kysely<DB>;

/** The state a job row (gradings, webhook deliveries, email: DuePump leases) is in while a try runs. */
const RUNNING = { grades: 'running', webhook_deliveries: 'delivering', outbox: 'sending' } as const;
type JobTable = keyof typeof RUNNING;

/**
 * Sets the lease of a job row if the try that took it still holds it: the row is in its running state
 * with that try's count. True when it was.
 */
export async function setJobLease(
  db: Db,
  table: JobTable,
  job: { id: string; tries: number },
  until: number,
): Promise<boolean> {
  const r = await (db as Kysely<any>)
    .updateTable(table)
    .set({ lease_until: until })
    .where('id', '=', job.id)
    .where('status', '=', RUNNING[table])
    .where('tries', '=', job.tries)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Job rows of `table` whose try was cut off with its process: running and, unless `everyRunning` (the
 * start of the only process on its database), past their lease or without one. A condition for a
 * query on that table alone.
 */
export function cutOffJobs(table: JobTable, now: number, everyRunning: boolean) {
  const running = sql<SqlBool>`status = ${RUNNING[table]}`;
  return everyRunning ? running : sql<SqlBool>`${running} and (lease_until is null or lease_until < ${now})`;
}

/** A write refused by a unique index or primary key (Postgres 23505, SQLite's constraint codes). */
export const isUniqueViolation = (err: unknown) => {
  const code = (err as { code?: string })?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    /unique/i.test(String((err as { message?: string })?.message))
  );
};

export interface Database {
  db: Db;
  dialect: 'sqlite' | 'postgres';
  /** True when a trivial query answers (readiness). */
  ping(): Promise<boolean>;
  /**
   * Postgres only: `LISTEN channel` on a connection of its own, calling `onPayload` for every
   * notification, and `onLost` if that connection drops (the caller listens again when it needs to).
   */
  listen?(
    channel: string,
    onPayload: (payload: string) => void,
    onLost: () => void,
  ): Promise<{ close(): Promise<void> }>;
  close(): Promise<void>;
}

/** Opens the database named by url (`sqlite:<path>`, `sqlite::memory:` or `postgres://…`) and migrates it. */
export async function openDatabase(url: string): Promise<Database> {
  const database = url.startsWith('sqlite:') ? openSqlite(url.slice('sqlite:'.length)) : openPostgres(url);
  try {
    await migrate(database.db, database.dialect);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

function openSqlite(file: string): Database {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit is written to the WAL (the OS has it: it survives kill -9 of the
  // server) but not fsynced; fsync happens at checkpoints, which the checkpointer thread runs every
  // second off the event loop. better-sqlite3 is synchronous, so FULL put an fsync on the event loop
  // for every save (stalls of hundreds of ms under load). A power loss or kernel crash can lose what
  // was committed since the last checkpoint (about a second); see docs/ARCHITECTURE.md.
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  const checkpointer = file === ':memory:' ? undefined : startCheckpointer(file);
  // The checkpointer keeps the WAL short; this connection checkpoints only if it falls far behind.
  if (checkpointer) raw.pragma('wal_autocheckpoint = 20000');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: cachedStatements(raw) }) });
  return {
    db,
    dialect: 'sqlite',
    ping: () => ping(db),
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/**
 * Prepared statements reused by SQL text (Kysely prepares every query anew; preparing was a visible
 * share of a save's CPU). Kysely runs each statement to completion before the next (no streaming
 * queries here), so one statement object per text is safe.
 */
function cachedStatements(raw: SQLite.Database) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        if (cache.size >= 500) cache.clear();
        stmt = raw.prepare(sql);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

/** A worker thread with its own connection that runs a passive WAL checkpoint (with its fsyncs) every second. */
function startCheckpointer(file: string, everyMs = 1000) {
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    const Database = require(workerData.driver);
    const db = new Database(workerData.file);
    db.pragma('busy_timeout = 1000');
    const timer = setInterval(() => {
      try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage(String(err)); }
    }, workerData.everyMs);
    parentPort.on('message', () => {
      clearInterval(timer);
      try { db.pragma('wal_checkpoint(PASSIVE)'); } finally { db.close(); parentPort.close(); }
    });`;
  const worker = new Worker(code, {
    eval: true,
    workerData: { file, everyMs, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
  });
  worker.unref();
  let exited = false;
  worker.once('exit', () => {
    exited = true;
  });
  // A failed checkpoint is retried at the next tick; the main connection's autocheckpoint is the backstop.
  worker.on('message', () => {});
  worker.on('error', () => {});
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        worker.ref(); // keeps the process up until the final checkpoint is done
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
        setTimeout(() => void worker.terminate(), 2000).unref();
      }),
  };
}

/** Statement texts run as named prepared statements on Postgres: text → name. */
const PREPARED = new Map<string, string>();

/**
 * Marks a hot statement's text (with `$n` parameters) to run as a named prepared statement on
 * Postgres: parsed and planned once per pooled connection, then only bound and executed (the text is
 * not sent again either). Returns the text unchanged, to pass to `CompiledQuery.raw`. SQLite is not
 * affected. For fixed texts only: every distinct text is kept for the process's life.
 */
export function prepared(text: string): string {
  if (!PREPARED.has(text))
    PREPARED.set(text, `ws_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`);
  return text;
}

/** pg's client, running texts marked with `prepared` as named statements. */
class PreparingClient extends pg.Client {
  // pg's query has a dozen overloads; this only reroutes (text, values).
  override query(...args: any[]): any {
    const [text, values] = args;
    const name = args.length === 2 && typeof text === 'string' ? PREPARED.get(text) : undefined;
    return name ? super.query({ name, text, values }) : (super.query as any)(...args);
  }
}

function openPostgres(url: string): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    Client: PreparingClient,
    // int8 (our millisecond timestamps, counts) as JS numbers: all values stay below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection that drops (Postgres restarted, a network blip) is discarded by the pool and the
  // next query opens a new one; without a listener its 'error' event would crash the server.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const listeners = new Set<pg.Client>();
  return {
    db,
    dialect: 'postgres',
    ping: () => ping(db),
    async listen(channel, onPayload, onLost) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
      const client = new pg.Client({ connectionString: url });
      let lost = false;
      const lose = () => {
        if (lost) return;
        lost = true;
        listeners.delete(client);
        onLost();
      };
      client.on('error', lose);
      client.on('end', lose);
      client.on('notification', (n) => onPayload(n.payload ?? ''));
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      listeners.add(client);
      return {
        async close() {
          lost = true;
          listeners.delete(client);
          await client.end().catch(() => {});
        },
      };
    },
    async close() {
      for (const c of listeners) await c.end().catch(() => {});
      listeners.clear();
      await db.destroy();
    },
  };
}

async function ping(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

async function migrate(db: Db, dialect: Database['dialect']) {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error)
    throw new Error(
      `database migration ${failed?.migrationName ?? ''} failed: ${String((error as Error).message ?? error)}`,
    );
}
export type {
  AttemptsTable,
  SessionsTable,
  UsersTable,
  InvitationsTable,
  TaskVersionsTable,
  AssessmentVersionsTable,
  GatewayKeysTable,
  LlmCallsTable,
  ReviewsTable,
  GradesTable,
  RunsTable,
  ApiTokensTable,
  IdempotencyKeysTable,
  WebhookEndpointsTable,
  WebhookDeliveriesTable,
  WebhookEventsTable,
  OutboxTable,
  PasswordTokensTable,
  WorkersTable,
} from './schema.ts';
