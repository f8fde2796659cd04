/**
 * Postgres only: texts marked with `prepared` run as named prepared statements (parsed once per
 * pooled connection), and the autosave's `set_config(…, true)` lasts for its own statement only.
 */
import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, prepared, type Database } from './index.ts';
import { dialects, freshDatabaseUrl } from '../testing/index.ts';
import { needs } from '../../tests/helpers/require.ts';

const postgres = dialects().includes('postgres');
needs('postgres', postgres, 'set TEST_DATABASE_URL=postgres://user:pass@127.0.0.1:5432/db (.ci/run does)');

describe.runIf(postgres)('prepared statements on Postgres', () => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const fresh = await freshDatabaseUrl('postgres');
    drop = fresh.drop;
    database = await openDatabase(fresh.url);
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it('runs a marked text as one named statement on the connection, an unmarked one unnamed', async () => {
    const marked = prepared('select $1::integer + 1 as n');
    const rows = await database.db.connection().execute(async (c) => {
      for (let i = 1; i <= 3; i++) {
        const r = await c.executeQuery<{ n: number }>(CompiledQuery.raw(marked, [i]));
        expect(r.rows[0]!.n).toBe(i + 1);
      }
      await c.executeQuery(CompiledQuery.raw('select $1::integer as m', [5]));
      return (
        await c.executeQuery<{ name: string; statement: string }>(
          CompiledQuery.raw('select name, statement from pg_prepared_statements'),
        )
      ).rows;
    });
    expect(rows).toEqual([{ name: expect.stringMatching(/^ws_[0-9a-f]{16}$/), statement: marked }]);
  });

  it("the autosave's relaxed commit applies to its own statement and is gone for the next", async () => {
    const settings = await database.db.connection().execute(async (c) => {
      const inside = await c.executeQuery<{ s: string }>(
        CompiledQuery.raw(
          prepared(`with relaxed as (select set_config('synchronous_commit', 'off', true))
            select current_setting('synchronous_commit') as s from relaxed`),
        ),
      );
      const after = await c.executeQuery<{ s: string }>(
        CompiledQuery.raw(`select current_setting('synchronous_commit') as s`),
      );
      return [inside.rows[0]!.s, after.rows[0]!.s];
    });
    expect(settings).toEqual(['off', 'on']);
  });
});
