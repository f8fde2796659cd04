/**
 * `npm run bench:revisions`: bytes stored per attempt-hour. One attempt autosaves a 20 KB file every
 * 2 s for 60 minutes (1 800 saves, each a small edit; every 5 minutes a paste rewrites a tenth of the
 * file) through the workspace's save verb, on a SQLite file (and on Postgres when TEST_DATABASE_URL is
 * set). Reports the database's growth (tables and indexes, after a checkpoint / from pg_database_size)
 * and the revision bytes charged to the attempt, next to the plain bytes saved (what a full copy per
 * save stored before 0008_compact_revisions). Also times rebuilding the latest revision for replay.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../server/db/index.ts';
import { FakeClock, randomIds, type ServiceContext } from '../server/platform/index.ts';
import { silentLogger } from '../server/logger/index.ts';
import { dropDatabase, exampleTaskDir, testConfig } from '../server/testing/index.ts';
import { importTask } from '../server/tasks/import.ts';
import { createInvitation } from '../server/invitations/index.ts';
import { startAttempt } from '../server/attempts/index.ts';
import { revisionContent, writeFile } from '../server/workspace/index.ts';
import { tempDir } from '../tests/helpers/process.ts';

const { values: args } = parseArgs({
  options: {
    dialect: { type: 'string', default: process.env.TEST_DATABASE_URL ? 'sqlite,postgres' : 'sqlite' },
    minutes: { type: 'string', default: '60' },
    kb: { type: 'string', default: '20' },
  },
});

const MB = (n: number) => `${(n / 1e6).toFixed(2)} MB`;

async function size(database: Database, name?: string): Promise<number> {
  if (database.dialect === 'sqlite') {
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(database.db);
    const { rows } = await sql<{ n: number }>`select page_count * page_size - freelist_count * page_size as n
      from pragma_page_count, pragma_page_size, pragma_freelist_count`.execute(database.db);
    return Number(rows[0]!.n);
  }
  const { rows } = await sql<{ n: string }>`select pg_database_size(${name}) as n`.execute(database.db);
  return Number(rows[0]!.n);
}

async function run(dialect: 'sqlite' | 'postgres') {
  const tmp = await tempDir('ws-rev-');
  let url = `sqlite:${path.join(tmp.dir, 'rev.db')}`;
  let name: string | undefined;
  const admin = process.env.TEST_DATABASE_URL;
  const adminQuery = async (q: string) => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(q);
    await c.end();
  };
  if (dialect === 'postgres') {
    name = `ws_rev_${randomBytes(5).toString('hex')}`;
    await adminQuery(`create database ${name}`);
    const u = new URL(admin!);
    u.pathname = `/${name}`;
    url = u.toString();
  }
  const database = await openDatabase(url);
  try {
    const clock = new FakeClock();
    const ctx: ServiceContext = {
      db: database.db,
      clock,
      ids: randomIds,
      config: testConfig({ MAX_ATTEMPT_STORAGE_BYTES: String(1e9) }),
      logger: silentLogger,
    };
    await importTask(ctx, exampleTaskDir);
    const { invitation } = await createInvitation(
      ctx,
      { taskSlug: 'hello-llm', candidateName: 'C', candidateEmail: 'c@example.com' },
      null,
    );
    let attempt = await startAttempt(ctx, invitation.id);
    attempt = { ...attempt, deadline_at: Number.MAX_SAFE_INTEGER };
    await database.db.updateTable('attempts').set({ deadline_at: attempt.deadline_at }).execute();
    if (database.dialect === 'postgres') await sql`vacuum full`.execute(database.db);
    const before = await size(database, name);
    const words = 'const let return await model prompt tokens value result'.split(' ');
    let content = '';
    while (content.length < Number(args.kb) * 1024)
      content += `${words[Math.floor(Math.random() * words.length)]}${Math.random() < 0.1 ? '\n' : ' '}`;
    const saves = (Number(args.minutes) * 60) / 2;
    let plain = 0;
    let revision = 0;
    const t0 = performance.now();
    for (let i = 0; i < saves; i++) {
      const at = Math.floor(Math.random() * content.length);
      if (i % 150 === 149) {
        const cut = Math.floor(content.length / 10);
        content = content.slice(0, at) + randomBytes(cut / 2).toString('hex') + content.slice(at + cut);
      } else content = content.slice(0, at) + words[i % words.length] + content.slice(at + 2);
      const w = await writeFile(ctx, attempt, {
        path: 'src/main.ts',
        content: Buffer.from(content),
        baseRevision: revision,
      });
      revision = w.revision;
      plain += Buffer.byteLength(content);
      clock.advance(2000);
    }
    const saveMs = (performance.now() - t0) / saves;
    const grown = (await size(database, name)) - before;
    // Postgres rewrites the file's row (and its TOASTed content) per save; autovacuum reclaims the
    // dead versions for reuse. Live bytes after a full vacuum show what the attempt keeps.
    if (database.dialect === 'postgres') await sql`vacuum full`.execute(database.db);
    const live = database.dialect === 'postgres' ? (await size(database, name)) - before : grown;
    const charged = (
      await database.db
        .selectFrom('attempts')
        .select('stored_bytes')
        .where('id', '=', attempt.id)
        .executeTakeFirstOrThrow()
    ).stored_bytes;
    const latest = (
      await database.db
        .selectFrom('workspace_files')
        .select('sha256')
        .where('attempt_id', '=', attempt.id)
        .where('path', '=', 'src/main.ts')
        .executeTakeFirstOrThrow()
    ).sha256;
    const r0 = performance.now();
    const rebuilt = await revisionContent(database.db, attempt.id, latest);
    const replayMs = performance.now() - r0;
    if (rebuilt?.toString() !== content) throw new Error('latest revision does not rebuild');
    console.log(
      `${dialect.padEnd(8)} ${saves} saves of a ${args.kb} KB file: plain ${MB(plain)} (a full copy per save), ` +
        `revision bytes ${MB(charged)}, database growth ${MB(grown)}, live after vacuum ${MB(live)} (revisions, events, indexes, current file) ` +
        `= ${(plain / live).toFixed(0)}× smaller | ${saveMs.toFixed(2)} ms per save in-process, latest rebuilt in ${replayMs.toFixed(1)} ms`,
    );
  } finally {
    await database.close();
    if (name && admin) await dropDatabase(admin, name);
    await tmp.remove();
  }
}

for (const d of args.dialect.split(',') as Array<'sqlite' | 'postgres'>) await run(d);
