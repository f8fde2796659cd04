/**
 * `npm run bench:pipeline`: the admin's pipeline query over 10 000 candidates. Seeds a round (every
 * stage, two reviewers per reviewed submission, auto scores, decisions) on a SQLite file and, when
 * TEST_DATABASE_URL is set, on a throwaway Postgres database; then times the service verb
 * (listPipeline: the page, the stage counts and the unassigned count) for typical filter, search,
 * sort and page queries and prints p50/p95 per query.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql, type Insertable } from 'kysely';
import { openDatabase } from '../server/db/index.ts';
import type { DB } from '../server/db/index.ts';
import { FakeClock, randomIds, type ServiceContext } from '../server/platform/index.ts';
import { silentLogger } from '../server/logger/index.ts';
import { exampleTaskDir, freshDatabaseUrl, testConfig } from '../server/testing/index.ts';
import { importTask } from '../server/tasks/import.ts';
import { listPipeline, type PipelineQuery } from '../server/pipeline/index.ts';
import { tempDir } from '../tests/helpers/process.ts';
import { elapsed, Samples, table } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    dialect: { type: 'string', default: process.env.TEST_DATABASE_URL ? 'sqlite,postgres' : 'sqlite' },
    candidates: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '30' },
  },
});

const DAY = 86_400_000;
type Row<T extends keyof DB> = Insertable<DB[T]>;

/** Inserts rows in chunks (bound-parameter limits) inside one transaction. */
async function insert<T extends keyof DB>(ctx: ServiceContext, table: T, rows: Array<Row<T>>) {
  await ctx.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 200)
      await trx
        .insertInto(table)
        .values(rows.slice(i, i + 200) as never)
        .execute();
  });
}

/** A hiring round of `n` candidates spread over every stage. */
async function seed(ctx: ServiceContext, n: number, now: number) {
  await importTask(ctx, exampleTaskDir);
  const versionId = (await ctx.db.selectFrom('task_versions').select('id').executeTakeFirstOrThrow()).id;
  const reviewers = Array.from({ length: 12 }, (_, i) => ({
    id: `usr_r${i}`,
    email: `r${i}@example.com`,
    name: `Reviewer ${i}`,
    role: 'reviewer' as const,
    password_hash: 'x',
    created_at: now,
    disabled: 0,
  }));
  await insert(ctx, 'users', reviewers);
  const inv: Array<Row<'invitations'>> = [];
  const att: Array<Row<'attempts'>> = [];
  const grades: Array<Row<'grades'>> = [];
  const assigns: Array<Row<'review_assignments'>> = [];
  const reviews: Array<Row<'reviews'>> = [];
  const decisions: Array<Row<'decisions'>> = [];
  for (let i = 0; i < n; i++) {
    const id = `inv_${String(i).padStart(6, '0')}`;
    const created = now - 30 * DAY + Math.floor((i / n) * 29 * DAY);
    const r = (i * 7919) % 100; // a deterministic spread over the stages
    inv.push({
      id,
      token_hash: `hash_${i}`,
      task_version_id: versionId,
      candidate_name: `Candidate ${i} ${['Lovelace', 'Hopper', 'Turing', 'Noether', 'Curie'][i % 5]}`,
      candidate_email: `cand-${i}@example.com`,
      created_by: null,
      created_at: created,
      expires_at: r < 3 ? now - DAY : created + 60 * DAY,
      revoked_at: r >= 3 && r < 5 ? created + DAY : null,
      purpose: 'candidate',
      opened_at: r >= 5 && r < 10 ? created + 3600_000 : null,
    });
    if (r < 30) continue; // expired, revoked, opened, invited
    const aid = `att_${String(i).padStart(6, '0')}`;
    const started = created + DAY;
    const submitted = r >= 40 ? started + 3600_000 : null;
    att.push({
      id: aid,
      invitation_id: id,
      task_version_id: versionId,
      status: submitted === null ? 'started' : 'submitted',
      started_at: started,
      deadline_at: started + 90 * 60_000,
      submitted_at: submitted,
      submit_reason: submitted === null ? null : r % 9 === 0 ? 'deadline' : 'candidate',
      stored_bytes: 0,
      edit_log_bytes: 0,
    });
    if (submitted === null) continue;
    const passed = i % 11;
    grades.push({
      id: `grade_${i}`,
      attempt_id: aid,
      status: r < 45 ? 'queued' : 'done',
      reason: 'submit',
      requested_by: null,
      note: null,
      tries: 1,
      next_run_at: submitted,
      last_error: null,
      verdict: r < 45 ? null : passed === 10 ? 'passed' : 'failed',
      passed,
      failed: 10 - passed,
      skipped: 0,
      report_json: '[]',
      stdout: '',
      stderr: '',
      error: null,
      created_at: submitted,
      started_at: submitted,
      finished_at: submitted,
      superseded_at: null,
    });
    if (r < 55) continue; // submitted / graded, nobody assigned
    for (const k of [0, 1]) {
      const reviewer = reviewers[(i + k * 5) % reviewers.length]!.id;
      assigns.push({
        attempt_id: aid,
        reviewer_id: reviewer,
        assigned_at: submitted,
        due_at: submitted + 3 * DAY,
        assigned_by: null,
      });
      if (r >= 80 || (r >= 65 && k === 0))
        reviews.push({
          attempt_id: aid,
          reviewer_id: reviewer,
          status: 'submitted',
          levels_json: '{}',
          recommendation: 3,
          notes: '',
          updated_at: submitted + DAY,
          submitted_at: submitted + DAY,
        });
    }
    if (r >= 85)
      decisions.push({
        attempt_id: aid,
        decided_by: 'usr_r0',
        decision: (['advance', 'reject', 'hold'] as const)[i % 3]!,
        reason: 'bench',
        decided_at: submitted + 2 * DAY,
      });
  }
  await insert(ctx, 'invitations', inv);
  await insert(ctx, 'attempts', att);
  await insert(ctx, 'grades', grades);
  await insert(ctx, 'review_assignments', assigns);
  await insert(ctx, 'reviews', reviews);
  await insert(ctx, 'decisions', decisions);
}

const QUERIES: Array<[string, PipelineQuery]> = [
  ['default: newest invited, page 1 of 50', {}],
  ['stage=in review, by submitted', { stages: ['in review'], sort: 'submitted' }],
  ['unassigned submissions', { unassigned: true }],
  ['search "hopper" (name/email)', { q: 'hopper' }],
  ['search "cand-123" (email)', { q: 'cand-123' }],
  ['reviewer=r3, by score', { reviewer: 'usr_r3', sort: 'score' }],
  ['decision=advance, task filter', { decision: 'advance', task: 'hello-llm' }],
  ['by name asc, page 100', { sort: 'name', dir: 'asc', page: 100 }],
  ['stages submitted+graded, 200/page', { stages: ['submitted', 'graded'], pageSize: 200 }],
];

async function run(dialect: 'sqlite' | 'postgres') {
  const tmp = await tempDir('ws-pipe-');
  const fresh =
    dialect === 'sqlite'
      ? { url: `sqlite:${path.join(tmp.dir, 'pipe.db')}`, drop: async () => {} }
      : await freshDatabaseUrl('postgres');
  const database = await openDatabase(fresh.url);
  try {
    const clock = new FakeClock(Date.UTC(2026, 5, 1));
    const ctx: ServiceContext = {
      db: database.db,
      clock,
      ids: randomIds,
      config: testConfig(),
      logger: silentLogger,
    };
    const n = Number(args.candidates);
    const s0 = performance.now();
    await seed(ctx, n, clock.now());
    console.log(`${dialect}: seeded ${n} candidates in ${(elapsed(s0) / 1000).toFixed(1)} s`);
    // Statistics as autovacuum (Postgres) or `analyze` would have them on a live database.
    await sql`analyze`.execute(database.db);
    const samples = new Samples();
    for (const [name, q] of QUERIES) {
      for (let i = 0; i < 3; i++) await listPipeline(ctx, q); // warm-up (statement caches, buffers)
      let total = 0;
      for (let i = 0; i < Number(args.runs); i++) {
        const t0 = performance.now();
        const page = await listPipeline(ctx, q);
        samples.add(name, elapsed(t0));
        total = page.total;
      }
      console.log(`  ${name}: ${total} matching`);
    }
    console.log(
      `\n${dialect} — listPipeline over ${n} candidates (ms; page + stage counts + unassigned count)`,
    );
    console.log(table(samples.summaries()));
    console.log();
  } finally {
    await database.close();
    await fresh.drop();
    await tmp.remove();
  }
}

for (const d of String(args.dialect).split(',')) await run(d as 'sqlite' | 'postgres');
