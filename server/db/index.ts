/**
 * Database connection: SQLite (default, a file under ./data/) or Postgres (DATABASE_URL=postgres://…),
 * the same Kysely queries on both. Migrations run on open.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { DB } from './schema.ts';
import { migrationProvider } from './migrations.ts';

export type { DB } from './schema.ts';
export type Db = Kysely<DB>;

export interface Database {
  db: Db;
  dialect: 'sqlite' | 'postgres';
  /** True when a trivial query answers (readiness). */
  ping(): Promise<boolean>;
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
  // FULL: a submitted attempt survives power loss, not just a process crash.
  raw.pragma('synchronous = FULL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: raw }) });
  return {
    db,
    dialect: 'sqlite',
    ping: () => ping(db),
    close: () => db.destroy(),
  };
}

function openPostgres(url: string): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
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
  return {
    db,
    dialect: 'postgres',
    ping: () => ping(db),
    close: () => db.destroy(),
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
  GatewayKeysTable,
  LlmCallsTable,
  ReviewsTable,
  GradesTable,
  RunsTable,
} from './schema.ts';
