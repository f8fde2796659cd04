/**
 * The throwaway Postgres databases of the test harness: drop() removes one even when a test left a
 * connection to it open (as a forgotten pool does), without `WITH (FORCE)` (see freshDatabaseUrl).
 * Postgres only: runs when TEST_DATABASE_URL is set.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { needs } from '../../tests/helpers/require.ts';
import { freshDatabaseUrl } from './index.ts';

const admin = process.env.TEST_DATABASE_URL;

async function exists(name: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    const r = await c.query('select 1 from pg_database where datname = $1', [name]);
    return r.rowCount === 1;
  } finally {
    await c.end();
  }
}

describe.runIf(needs('postgres', Boolean(admin), 'set TEST_DATABASE_URL (.ci/run does)'))(
  'freshDatabaseUrl on postgres',
  () => {
    it('drops the database although a connection to it is still open', async () => {
      const fresh = await freshDatabaseUrl('postgres');
      const name = new URL(fresh.url).pathname.slice(1);
      const leaked = new pg.Client({ connectionString: fresh.url });
      leaked.on('error', () => {}); // it is terminated under us
      await leaked.connect();
      await leaked.query('create table t (x int)');
      expect(await exists(name)).toBe(true);

      await fresh.drop();

      expect(await exists(name)).toBe(false);
      await expect(leaked.query('select 1')).rejects.toThrow();
      await leaked.end().catch(() => {});
    });

    it('creates two databases at the same moment, each its own', async () => {
      const [a, b] = await Promise.all([freshDatabaseUrl('postgres'), freshDatabaseUrl('postgres')]);
      try {
        expect(a.url).not.toBe(b.url);
      } finally {
        await Promise.all([a.drop(), b.drop()]);
      }
    });
  },
);
