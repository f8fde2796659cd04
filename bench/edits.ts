/**
 * `npm run bench:edits`: edit-log bytes per attempt-hour of realistic typing (the replay of typing,
 * server/workspace/edits.ts). A simulated candidate types into a 3 KB file for `--minutes` (default
 * 60): bursts of 10–150 keystrokes 80–300 ms apart (about 8 % backspaces, a cursor jump before one
 * burst in five, a 200–800 character paste in one burst in fifty), each followed by a pause of 1–20 s,
 * so the autosave (600 ms after the last key) saves once per burst and sends the burst's edit log.
 * Every save and every log goes through the real verbs (writeFile, recordEditLog: verified, deflated,
 * charged) on a SQLite file, or on Postgres with `--dialect postgres` (needs TEST_DATABASE_URL).
 * Reports keystrokes, saves, the edit-log bytes charged to the attempt (what
 * MAX_ATTEMPT_EDIT_LOG_BYTES bounds), the JSON the browser sent, and the revision bytes beside them.
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
import { recordEditLog, writeFile, type Edit } from '../server/workspace/index.ts';
import { tempDir } from '../tests/helpers/process.ts';

const { values: args } = parseArgs({
  options: {
    dialect: { type: 'string', default: 'sqlite' },
    minutes: { type: 'string', default: '60' },
  },
});

const KB = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
const WORDS =
  'const result = await client.chat.completions.create model messages return parse JSON if else'.split(' ');

/** Bytes the edit_logs table and its index take (SQLite: dbstat; Postgres: relation sizes). */
async function editLogTableBytes(database: Database): Promise<number> {
  if (database.dialect === 'sqlite') {
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(database.db);
    const { rows } = await sql<{ n: number }>`select coalesce(sum(pgsize), 0) as n from dbstat
      where name in ('edit_logs', 'edit_logs_attempt_step')`.execute(database.db);
    return Number(rows[0]!.n);
  }
  await sql`vacuum full edit_logs`.execute(database.db);
  const { rows } = await sql<{ n: string }>`select pg_total_relation_size('edit_logs') as n`.execute(
    database.db,
  );
  return Number(rows[0]!.n);
}

async function run(dialect: 'sqlite' | 'postgres') {
  const tmp = await tempDir('ws-edits-');
  let url = `sqlite:${path.join(tmp.dir, 'edits.db')}`;
  let name: string | undefined;
  const admin = process.env.TEST_DATABASE_URL;
  const adminQuery = async (q: string) => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(q);
    await c.end();
  };
  if (dialect === 'postgres') {
    if (!admin) throw new Error('--dialect postgres needs TEST_DATABASE_URL');
    name = `ws_edits_${randomBytes(5).toString('hex')}`;
    await adminQuery(`create database ${name}`);
    const u = new URL(admin);
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
      config: testConfig({ MAX_ATTEMPT_STORAGE_BYTES: String(1e9), MAX_ATTEMPT_EDIT_LOG_BYTES: String(1e9) }),
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

    let text = '';
    while (text.length < 3 * 1024)
      text += `${WORDS[rand(0, WORDS.length - 1)]}${Math.random() < 0.12 ? '\n' : ' '}`;
    let saved = await writeFile(ctx, attempt, {
      path: 'src/main.ts',
      content: Buffer.from(text),
      baseRevision: 0,
    });
    const end = clock.now() + Number(args.minutes) * 60_000;
    let keys = 0;
    let logs = 0;
    let sent = 0;
    let cursor = text.length;
    let typing = '';
    while (clock.now() < end) {
      const edits: Edit[] = [];
      const t0 = clock.now();
      if (Math.random() < 0.2) cursor = rand(0, text.length);
      const burst = rand(10, 150);
      for (let i = 0; i < burst; i++) {
        let edit: Edit;
        if (Math.random() < 0.02 && i === 0) {
          const paste = Array.from({ length: rand(30, 120) }, () => WORDS[rand(0, WORDS.length - 1)]).join(
            ' ',
          );
          edit = [clock.now() - t0, cursor, 0, paste.slice(0, rand(200, 800))];
        } else if (Math.random() < 0.08 && cursor > 0) edit = [clock.now() - t0, cursor - 1, 1, ''];
        else {
          if (!typing) typing = `${WORDS[rand(0, WORDS.length - 1)]}${Math.random() < 0.15 ? '\n' : ' '}`;
          edit = [clock.now() - t0, cursor, 0, typing[0]!];
          typing = typing.slice(1);
        }
        const [, offset, removed, inserted] = edit;
        text = text.slice(0, offset) + inserted + text.slice(offset + removed);
        cursor = offset + inserted.length;
        edits.push(edit);
        keys++;
        clock.advance(rand(80, 300));
      }
      clock.advance(600); // the autosave's pause after the last key
      const base = saved.sha256;
      saved = await writeFile(ctx, attempt, {
        path: 'src/main.ts',
        content: Buffer.from(text),
        baseRevision: saved.revision,
      });
      const log = { path: 'src/main.ts', baseSha256: base, sha256: saved.sha256, edits, dropped: 0 };
      sent += Buffer.byteLength(JSON.stringify(log));
      const r = await recordEditLog(ctx, attempt, log);
      if (!r.stored) throw new Error(`edit log not stored: ${r.reason}`);
      logs++;
      clock.advance(rand(400, 19_400)); // thinking
    }
    const row = await database.db
      .selectFrom('attempts')
      .select(['stored_bytes', 'edit_log_bytes'])
      .where('id', '=', attempt.id)
      .executeTakeFirstOrThrow();
    const table = await editLogTableBytes(database);
    const perHour = (n: number) => (n * 60) / Number(args.minutes);
    console.log(
      `${dialect.padEnd(8)} ${args.minutes} min: ${keys} keystrokes in ${logs} saves (a ${KB(text.length)} file at the end); ` +
        `edit logs ${KB(perHour(row.edit_log_bytes))} per attempt-hour charged (deflated, ${KB(perHour(row.edit_log_bytes - 160 * logs))} of data + 160 B per log), ` +
        `${KB(perHour(sent))} per hour as JSON from the browser; the edit_logs table and index ${KB(perHour(table))} per hour on disk; revisions ${KB(perHour(row.stored_bytes - row.edit_log_bytes))} per hour`,
    );
  } finally {
    await database.close();
    if (name && admin) await dropDatabase(admin, name);
    await tmp.remove();
  }
}

for (const d of args.dialect.split(',') as Array<'sqlite' | 'postgres'>) await run(d);
