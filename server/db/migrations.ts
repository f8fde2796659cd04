/** Schema migrations, run at startup. Written once for both SQLite and Postgres. */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

type Dialect = 'sqlite' | 'postgres';

function migrations(dialect: Dialect): Record<string, Migration> {
  // Millisecond timestamps exceed 32 bits: bigint in Postgres (parsed back to number by the pool).
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  return {
    '0001_spine': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('email', 'text', (c) => c.notNull().unique())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema
          .createTable('sessions')
          .addColumn('id_hash', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
          .addColumn('invitation_id', 'text')
          .addColumn('csrf_token', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('expires_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('blobs')
          .addColumn('sha256', 'text', (c) => c.primaryKey())
          .addColumn('size', 'integer', (c) => c.notNull())
          .addColumn('content', bytes, (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('tasks')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('slug', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('task_versions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id'))
          .addColumn('slug', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('content_hash', 'text', (c) => c.notNull())
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('manifest_json', 'text', (c) => c.notNull())
          .addColumn('statement_md', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('imported_by', 'text')
          .addUniqueConstraint('task_versions_task_version', ['task_id', 'version'])
          .addUniqueConstraint('task_versions_task_hash', ['task_id', 'content_hash'])
          .execute();
        await db.schema
          .createTable('task_version_files')
          .addColumn('task_version_id', 'text', (c) => c.notNull().references('task_versions.id'))
          .addColumn('path', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull().references('blobs.sha256'))
          .addColumn('size', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('task_version_files_pk', ['task_version_id', 'path'])
          .execute();
        await db.schema
          .createTable('invitations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('task_version_id', 'text', (c) => c.notNull().references('task_versions.id'))
          .addColumn('candidate_name', 'text', (c) => c.notNull())
          .addColumn('candidate_email', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('expires_at', ms, (c) => c.notNull())
          .addColumn('revoked_at', ms)
          .execute();
        await db.schema
          .createTable('attempts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('invitation_id', 'text', (c) => c.notNull().unique().references('invitations.id'))
          .addColumn('task_version_id', 'text', (c) => c.notNull().references('task_versions.id'))
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('started_at', ms, (c) => c.notNull())
          .addColumn('deadline_at', ms, (c) => c.notNull())
          .addColumn('submitted_at', ms)
          .addColumn('submit_reason', 'text')
          .execute();
        await db.schema
          .createIndex('attempts_status_deadline')
          .on('attempts')
          .columns(['status', 'deadline_at'])
          .execute();
        await db.schema
          .createTable('workspace_files')
          .addColumn('attempt_id', 'text', (c) => c.notNull().references('attempts.id'))
          .addColumn('path', 'text', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull().references('blobs.sha256'))
          .addColumn('size', 'integer', (c) => c.notNull())
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .addPrimaryKeyConstraint('workspace_files_pk', ['attempt_id', 'path'])
          .execute();
        await db.schema
          .createTable('attempt_events')
          .addColumn('id', serial, (c) =>
            dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
          )
          .addColumn('attempt_id', 'text', (c) => c.notNull().references('attempts.id'))
          .addColumn('at', ms, (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('path', 'text')
          .addColumn('sha256', 'text')
          .addColumn('revision', 'integer')
          .addColumn('payload_json', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('attempt_events_attempt')
          .on('attempt_events')
          .columns(['attempt_id', 'id'])
          .execute();
        await sql`select 1`.execute(db);
      },
    },
    '0002_runs_and_grades': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('runs')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('attempt_id', 'text', (c) => c.notNull().references('attempts.id'))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('argv_json', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('verdict', 'text')
          .addColumn('exit_code', 'integer')
          .addColumn('duration_ms', 'integer')
          .addColumn('stdout', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('stderr', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('output_truncated', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('finished_at', ms)
          .execute();
        await db.schema
          .createIndex('runs_attempt')
          .on('runs')
          .columns(['attempt_id', 'created_at'])
          .execute();
        await db.schema
          .createTable('grades')
          .addColumn('attempt_id', 'text', (c) => c.primaryKey().references('attempts.id'))
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('verdict', 'text')
          .addColumn('passed', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('report_json', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('stdout', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('stderr', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('error', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('finished_at', ms)
          .execute();
      },
    },
    '0003_llm_gateway': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('gateway_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('key_hash', 'text', (c) => c.notNull().unique())
          .addColumn('attempt_id', 'text', (c) => c.notNull().references('attempts.id'))
          .addColumn('purpose', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('revoked_at', ms)
          .execute();
        await db.schema
          .createTable('llm_calls')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('attempt_id', 'text', (c) => c.notNull().references('attempts.id'))
          .addColumn('key_id', 'text', (c) => c.notNull())
          .addColumn('purpose', 'text', (c) => c.notNull())
          .addColumn('endpoint', 'text', (c) => c.notNull())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('upstream_model', 'text')
          .addColumn('stream', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('request_json', 'text', (c) => c.notNull())
          .addColumn('response_json', 'text')
          .addColumn('content', 'text')
          .addColumn('status', 'integer', (c) => c.notNull())
          .addColumn('error_code', 'text')
          .addColumn('rule', 'text')
          .addColumn('rule_hits', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('counted', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('prompt_tokens', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('completion_tokens', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('latency_ms', 'integer')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('finished_at', ms)
          .execute();
        await db.schema
          .createIndex('llm_calls_attempt')
          .on('llm_calls')
          .columns(['attempt_id', 'purpose', 'created_at'])
          .execute();
      },
    },
    '0004_reviews': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('review_assignments')
          .addColumn('attempt_id', 'text', (c) => c.notNull().references('attempts.id'))
          .addColumn('reviewer_id', 'text', (c) => c.notNull().references('users.id'))
          .addColumn('assigned_at', ms, (c) => c.notNull())
          .addColumn('due_at', ms, (c) => c.notNull())
          .addColumn('assigned_by', 'text')
          .addPrimaryKeyConstraint('review_assignments_pk', ['attempt_id', 'reviewer_id'])
          .execute();
        await db.schema
          .createIndex('review_assignments_reviewer')
          .on('review_assignments')
          .columns(['reviewer_id'])
          .execute();
        await db.schema
          .createTable('reviews')
          .addColumn('attempt_id', 'text', (c) => c.notNull().references('attempts.id'))
          .addColumn('reviewer_id', 'text', (c) => c.notNull().references('users.id'))
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('levels_json', 'text', (c) => c.notNull())
          .addColumn('recommendation', 'integer')
          .addColumn('notes', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('updated_at', ms, (c) => c.notNull())
          .addColumn('submitted_at', ms)
          .addPrimaryKeyConstraint('reviews_pk', ['attempt_id', 'reviewer_id'])
          .execute();
        await db.schema
          .createTable('decisions')
          .addColumn('attempt_id', 'text', (c) => c.primaryKey().references('attempts.id'))
          .addColumn('decided_by', 'text', (c) => c.notNull())
          .addColumn('decision', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('decided_at', ms, (c) => c.notNull())
          .execute();
      },
    },
    '0005_runs_one_active': {
      // One unfinished run per attempt, enforced by the database too (a second server process, or a
      // race the in-process check misses). Runs cut off by an older version are closed first.
      async up(db: Kysely<any>) {
        await db
          .updateTable('runs')
          .set({
            status: 'done',
            verdict: 'error',
            stderr: 'worksample: the server restarted during this run\n',
          })
          .where('status', '!=', 'done')
          .execute();
        await sql`create unique index runs_one_active on runs (attempt_id) where status <> 'done'`.execute(
          db,
        );
      },
    },
    '0006_invitation_purpose': {
      // Verification runs a task through real attempts in the application's own database; they are
      // marked so candidate lists, review queues, funnels and exports leave them out.
      async up(db: Kysely<any>) {
        await db.schema
          .alterTable('invitations')
          .addColumn('purpose', 'text', (c) => c.notNull().defaultTo('candidate'))
          .execute();
      },
    },
    '0007_grading_jobs': {
      // Gradings become durable jobs, one row each: a re-grade adds a row and keeps the old ones. The
      // table is rebuilt (SQLite cannot change a primary key): built as grades_next, filled from the old
      // one-row-per-attempt table, then renamed (Postgres index names are global, hence not the reverse).
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('grades_next')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('attempt_id', 'text', (c) => c.notNull().references('attempts.id'))
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('requested_by', 'text')
          .addColumn('note', 'text')
          .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_run_at', ms, (c) => c.notNull())
          .addColumn('last_error', 'text')
          .addColumn('verdict', 'text')
          .addColumn('passed', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('report_json', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('stdout', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('stderr', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('error', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('started_at', ms)
          .addColumn('finished_at', ms)
          .addColumn('superseded_at', ms)
          .execute();
        // pending (sandboxes were down) and running (cut off) are queued again; error becomes failed,
        // with its reason, instead of an error nobody is told about.
        await sql`
          insert into grades_next (id, attempt_id, status, reason, tries, next_run_at, last_error, verdict,
            passed, failed, skipped, report_json, stdout, stderr, error, created_at, started_at, finished_at)
          select 'grade_' || attempt_id, attempt_id,
            case status when 'done' then 'done' when 'error' then 'failed' else 'queued' end,
            'submit',
            case status when 'pending' then 0 else 1 end,
            created_at,
            case status when 'done' then null else error end,
            case status when 'done' then verdict else null end,
            passed, failed, skipped, report_json, stdout, stderr,
            case status when 'done' then error when 'error' then 'grading failed: ' || coalesce(error, 'unknown error') else null end,
            created_at,
            case status when 'pending' then null else created_at end,
            case status when 'done' then finished_at when 'error' then finished_at else null end
          from grades`.execute(db);
        await db.schema.dropTable('grades').execute();
        await db.schema.alterTable('grades_next').renameTo('grades').execute();
        // The attempt's current grade: at most one row not superseded (backs the re-grade race).
        await sql`create unique index grades_one_current on grades (attempt_id) where superseded_at is null`.execute(
          db,
        );
        await db.schema
          .createIndex('grades_attempt')
          .on('grades')
          .columns(['attempt_id', 'created_at'])
          .execute();
        await db.schema.createIndex('grades_due').on('grades').columns(['status', 'next_run_at']).execute();
      },
    },
    '0008_compact_revisions': {
      // Revisions as splices against the previous revision with periodic deflated snapshots
      // (server/workspace/delta.ts), per attempt, instead of a full blob per save. The current content
      // of a saved file lives on its workspace row (the next splice's base, read in the save's one
      // query); rows from before (and starter files) keep content null and point into blobs, so
      // their sha256 no longer references blobs. stored_bytes counts an attempt's revision bytes
      // against MAX_ATTEMPT_STORAGE_BYTES. Older timelines still replay: a sha256 with no revision
      // row is read from blobs.
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('file_revisions')
          .addColumn('attempt_id', 'text', (c) => c.notNull().references('attempts.id'))
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('base_sha256', 'text')
          .addColumn('depth', 'integer', (c) => c.notNull())
          .addColumn('encoding', 'text', (c) => c.notNull())
          .addColumn('size', 'integer', (c) => c.notNull())
          .addColumn('data', bytes, (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addPrimaryKeyConstraint('file_revisions_pk', ['attempt_id', 'sha256'])
          .execute();
        await db.schema
          .alterTable('attempts')
          .addColumn('stored_bytes', ms, (c) => c.notNull().defaultTo(0))
          .execute();
        if (dialect === 'postgres') {
          await sql`alter table workspace_files drop constraint if exists workspace_files_sha256_fkey`.execute(
            db,
          );
          await db.schema.alterTable('workspace_files').addColumn('content', bytes).execute();
          return;
        }
        // SQLite cannot drop a foreign key: the table is rebuilt (nothing references it).
        await db.schema
          .createTable('workspace_files_0008')
          .addColumn('attempt_id', 'text', (c) => c.notNull().references('attempts.id'))
          .addColumn('path', 'text', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('size', 'integer', (c) => c.notNull())
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .addColumn('content', bytes)
          .addPrimaryKeyConstraint('workspace_files_0008_pk', ['attempt_id', 'path'])
          .execute();
        await sql`insert into workspace_files_0008 (attempt_id, path, sha256, size, revision, updated_at)
          select attempt_id, path, sha256, size, revision, updated_at from workspace_files`.execute(db);
        await db.schema.dropTable('workspace_files').execute();
        await sql`alter table workspace_files_0008 rename to workspace_files`.execute(db);
      },
    },
    '0009_llm_call_origin': {
      // Who made a gateway call: the candidate's code ('code') or the IDE assistant ('assistant'). Both
      // spend the attempt's budget; reviewers see them apart.
      async up(db: Kysely<any>) {
        await db.schema
          .alterTable('llm_calls')
          .addColumn('origin', 'text', (c) => c.notNull().defaultTo('code'))
          .execute();
      },
    },
    '0010_run_test_results': {
      // A `Run tests` run's per-test results (server/runs/tests.ts), JSON; null for other runs.
      async up(db: Kysely<any>) {
        await db.schema.alterTable('runs').addColumn('tests_json', 'text').execute();
      },
    },
    '0011_api_tokens': {
      // API tokens for automation (server/api-tokens/): only sha256 of the secret is stored. The
      // ATS's id for an invitation (external_id), and stored responses for Idempotency-Key retries
      // (server/idempotency/): one row per principal and key, the response encrypted with a key
      // derived from the Idempotency-Key the client holds (the invitation link inside stays secret).
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('api_tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('secret_hash', 'text', (c) => c.notNull())
          .addColumn('scopes_json', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull().references('users.id'))
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('expires_at', ms)
          .addColumn('last_used_at', ms)
          .addColumn('revoked_at', ms)
          .addColumn('revoked_by', 'text')
          .execute();
        await db.schema.alterTable('invitations').addColumn('external_id', 'text').execute();
        await db.schema
          .createIndex('invitations_external_id')
          .on('invitations')
          .column('external_id')
          .execute();
        await db.schema
          .createTable('idempotency_keys')
          .addColumn('principal', 'text', (c) => c.notNull())
          .addColumn('key_hash', 'text', (c) => c.notNull())
          .addColumn('request_hash', 'text', (c) => c.notNull())
          .addColumn('status', 'integer')
          .addColumn('response', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('expires_at', ms, (c) => c.notNull())
          .addPrimaryKeyConstraint('idempotency_keys_pk', ['principal', 'key_hash'])
          .execute();
        await db.schema
          .createIndex('idempotency_keys_expiry')
          .on('idempotency_keys')
          .column('expires_at')
          .execute();
      },
    },
    '0012_webhooks': {
      // Webhooks (server/webhooks/): admin-configured endpoints; one event row per source timeline event
      // (frozen body, so retries and redeliveries send the same bytes); one delivery per (endpoint,
      // event) moved by the worker, each try logged; the tailer's cursors over attempt_events and the
      // new invitation_events (an invitation's first opening, which has no attempt yet).
      async up(db: Kysely<any>) {
        await db.schema.alterTable('invitations').addColumn('opened_at', ms).execute();
        await db.schema
          .createTable('invitation_events')
          .addColumn('id', serial, (c) =>
            dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
          )
          .addColumn('invitation_id', 'text', (c) => c.notNull().references('invitations.id'))
          .addColumn('at', ms, (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('payload_json', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('webhook_endpoints')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('events_json', 'text', (c) => c.notNull())
          .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('secret', 'text', (c) => c.notNull())
          .addColumn('previous_secret', 'text')
          .addColumn('previous_secret_until', ms)
          .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('disabled_reason', 'text')
          .addColumn('created_by', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('webhook_events')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('type', 'text', (c) => c.notNull())
          // 'attempt_events:<id>' / 'invitation_events:<id>': one webhook event per timeline event;
          // null for test events.
          .addColumn('source', 'text', (c) => c.unique())
          .addColumn('occurred_at', ms, (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('webhook_deliveries')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('endpoint_id', 'text', (c) =>
            c.notNull().references('webhook_endpoints.id').onDelete('cascade'),
          )
          .addColumn('event_id', 'text', (c) => c.notNull().references('webhook_events.id'))
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', ms, (c) => c.notNull())
          .addColumn('last_status', 'integer')
          .addColumn('last_error', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('finished_at', ms)
          .addUniqueConstraint('webhook_deliveries_endpoint_event', ['endpoint_id', 'event_id'])
          .execute();
        await db.schema
          .createIndex('webhook_deliveries_due')
          .on('webhook_deliveries')
          .columns(['status', 'next_attempt_at'])
          .execute();
        await db.schema
          .createIndex('webhook_deliveries_endpoint')
          .on('webhook_deliveries')
          .columns(['endpoint_id', 'created_at'])
          .execute();
        await db.schema
          .createTable('webhook_tries')
          .addColumn('id', serial, (c) =>
            dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
          )
          .addColumn('delivery_id', 'text', (c) =>
            c.notNull().references('webhook_deliveries.id').onDelete('cascade'),
          )
          .addColumn('try', 'integer', (c) => c.notNull())
          .addColumn('started_at', ms, (c) => c.notNull())
          .addColumn('duration_ms', 'integer', (c) => c.notNull())
          .addColumn('status_code', 'integer')
          .addColumn('response_excerpt', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('error', 'text')
          .execute();
        await db.schema
          .createIndex('webhook_tries_delivery')
          .on('webhook_tries')
          .columns(['delivery_id', 'id'])
          .execute();
        await db.schema
          .createTable('webhook_cursors')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('last_id', ms, (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .execute();
        // Events written before webhooks existed are history, not news: the tailer starts after them.
        await sql`insert into webhook_cursors (name, last_id, updated_at)
          select 'attempt_events', coalesce(max(id), 0), 0 from attempt_events`.execute(db);
        await sql`insert into webhook_cursors (name, last_id, updated_at) values ('invitation_events', 0, 0)`.execute(
          db,
        );
      },
    },
    '0013_email_and_staff_accounts': {
      // Outgoing email as a durable outbox (server/email/): one row per message, moved by a worker
      // (queued → sending → sent, or failed after its tries); dedupe_key makes one-off messages
      // (a reminder, a submission confirmation) idempotent across sweeps and processes. email_cursor
      // is the email tail's own position in attempt_events. Staff accounts get a state (invited until
      // a password is set) and single-use, expiring set-password tokens stored as sha256.
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('outbox')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('to_address', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('text_body', 'text')
          .addColumn('html_body', 'text')
          .addColumn('invitation_id', 'text')
          .addColumn('user_id', 'text')
          .addColumn('dedupe_key', 'text', (c) => c.unique())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_try_at', ms, (c) => c.notNull())
          .addColumn('last_error', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('sent_at', ms)
          .execute();
        await db.schema.createIndex('outbox_due').on('outbox').columns(['status', 'next_try_at']).execute();
        await db.schema.createIndex('outbox_invitation').on('outbox').columns(['invitation_id']).execute();
        await db.schema.createIndex('outbox_user').on('outbox').columns(['user_id']).execute();
        await db.schema
          .createTable('email_cursor')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('last_event_id', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .alterTable('users')
          .addColumn('state', 'text', (c) => c.notNull().defaultTo('active'))
          .execute();
        await db.schema
          .createTable('password_tokens')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('purpose', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('expires_at', ms, (c) => c.notNull())
          .addColumn('used_at', ms)
          .execute();
        await db.schema
          .createIndex('password_tokens_user')
          .on('password_tokens')
          .columns(['user_id'])
          .execute();
      },
    },
    '0014_pipeline': {
      // The pipeline (server/pipeline/): an index for its default order over candidate invitations.
      // (When a candidate first opened their link, its "opened" stage, is invitations.opened_at from 0012.)
      async up(db: Kysely<any>) {
        await db.schema
          .createIndex('invitations_purpose_created')
          .on('invitations')
          .columns(['purpose', 'created_at'])
          .execute();
      },
    },
    '0015_oidc_sso': {
      // Staff single sign-on (server/sso/): the OIDC identity (issuer + sub) an account is linked to,
      // unique so one identity is one account; and the pending sign-ins between start and callback
      // (state, nonce, PKCE verifier kept server-side, bound to the browser by a hashed cookie).
      async up(db: Kysely<any>) {
        await db.schema.alterTable('users').addColumn('oidc_issuer', 'text').execute();
        await db.schema.alterTable('users').addColumn('oidc_subject', 'text').execute();
        await db.schema
          .createIndex('users_oidc_identity')
          .on('users')
          .columns(['oidc_issuer', 'oidc_subject'])
          .unique()
          .execute();
        await db.schema
          .createTable('sso_logins')
          .addColumn('id_hash', 'text', (c) => c.primaryKey())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('nonce', 'text', (c) => c.notNull())
          .addColumn('code_verifier', 'text', (c) => c.notNull())
          .addColumn('return_to', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('expires_at', ms, (c) => c.notNull())
          .execute();
      },
    },
    '0017_greenhouse': {
      // Greenhouse assessment partner (server/greenhouse/): one row per send_test, the invitation it
      // made, the token (customer) that asked, and the callback URL Greenhouse gave. Its PATCH on
      // completion goes through the webhook queue: a hidden endpoint (kind 'greenhouse', method PATCH)
      // per callback URL.
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('greenhouse_interviews')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('invitation_id', 'text', (c) => c.notNull().references('invitations.id'))
          .addColumn('token_id', 'text', (c) => c.notNull())
          .addColumn('callback_url', 'text')
          .addColumn('endpoint_id', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .alterTable('webhook_endpoints')
          .addColumn('kind', 'text', (c) => c.notNull().defaultTo('webhook'))
          .execute();
        await db.schema
          .alterTable('webhook_endpoints')
          .addColumn('method', 'text', (c) => c.notNull().defaultTo('POST'))
          .execute();
      },
    },
    '0018_assessments': {
      // Assessments (server/assessments/): an ordered list of task versions under one invitation.
      // assessment_versions are immutable like task_versions (content hash → new version); an
      // invitation may pin one (its task_version_id stays the first task's, for code that reads it),
      // with when the candidate pressed Start (the overall clock) and Submit all. One attempt per task:
      // attempts.position (0 for single-task invitations), unique per invitation, replacing the
      // one-attempt-per-invitation constraint. The task a candidate session is on lives on its row.
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('assessments')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('slug', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('assessment_versions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('assessment_id', 'text', (c) => c.notNull().references('assessments.id'))
          .addColumn('slug', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('content_hash', 'text', (c) => c.notNull())
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('manifest_json', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('imported_by', 'text')
          .addUniqueConstraint('assessment_versions_version', ['assessment_id', 'version'])
          .addUniqueConstraint('assessment_versions_hash', ['assessment_id', 'content_hash'])
          .execute();
        await db.schema
          .alterTable('invitations')
          .addColumn('assessment_version_id', 'text', (c) => c.references('assessment_versions.id'))
          .execute();
        await db.schema.alterTable('invitations').addColumn('assessment_started_at', ms).execute();
        await db.schema.alterTable('invitations').addColumn('assessment_submitted_at', ms).execute();
        await db.schema.alterTable('sessions').addColumn('assessment_position', 'integer').execute();
        await db.schema
          .alterTable('attempts')
          .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        if (dialect === 'postgres') {
          await sql`alter table attempts drop constraint if exists attempts_invitation_id_key`.execute(db);
        } else {
          // SQLite cannot drop a column's UNIQUE: the table is rebuilt from its own stored definition
          // (every column added since 0001 kept), with the tables that reference attempts left
          // pointing at the new one (foreign keys off while the old table is swapped out).
          const table = await sql<{
            sql: string;
          }>`select sql from sqlite_master where type = 'table' and name = 'attempts'`.execute(db);
          const others = await sql<{
            sql: string;
          }>`select sql from sqlite_master where tbl_name = 'attempts' and type in ('index', 'trigger') and sql is not null`.execute(
            db,
          );
          const original = table.rows[0]!.sql;
          const rebuilt = original
            .replace(/^create table "?attempts"?/i, 'create table "attempts_0018"')
            .replace(/("invitation_id"\s+text\s+not null)\s+unique/i, '$1');
          if (rebuilt === original || /"invitation_id"[^,]*unique/i.test(rebuilt))
            throw new Error(`0018: unexpected attempts definition: ${original}`);
          await sql`pragma foreign_keys = off`.execute(db);
          try {
            await sql.raw(rebuilt).execute(db);
            await sql`insert into attempts_0018 select * from attempts`.execute(db);
            await sql`drop table attempts`.execute(db);
            await sql`alter table attempts_0018 rename to attempts`.execute(db);
            for (const o of others.rows) await sql.raw(o.sql).execute(db);
            const broken = await sql`pragma foreign_key_check`.execute(db);
            if (broken.rows.length) throw new Error('0018: foreign keys broken by the attempts rebuild');
          } finally {
            await sql`pragma foreign_keys = on`.execute(db);
          }
        }
        await db.schema
          .createIndex('attempts_invitation_position')
          .on('attempts')
          .columns(['invitation_id', 'position'])
          .unique()
          .execute();
      },
    },
    '0019_edit_logs': {
      // Edit-level replay (server/workspace/edits.ts): the editor's changes between two saves of a file,
      // one row per save they lead to, checked to rebuild it from the revision they start from, deflated.
      // edit_log_bytes counts them against MAX_ATTEMPT_EDIT_LOG_BYTES (they count in stored_bytes too).
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('edit_logs')
          .addColumn('id', serial, (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('attempt_id', 'text', (c) => c.notNull().references('attempts.id'))
          .addColumn('path', 'text', (c) => c.notNull())
          .addColumn('base_sha256', 'text', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('edits', 'integer', (c) => c.notNull())
          .addColumn('dropped', 'integer', (c) => c.notNull())
          .addColumn('data', bytes, (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('edit_logs_attempt_step')
          .on('edit_logs')
          .columns(['attempt_id', 'path', 'base_sha256', 'sha256'])
          .unique()
          .execute();
        await db.schema
          .alterTable('attempts')
          .addColumn('edit_log_bytes', ms, (c) => c.notNull().defaultTo(0))
          .execute();
      },
    },
    '0020_login_checks': {
      // Sign-in and reset throttling in the database (server/auth/rate-limit.ts), not one process's memory:
      // every server replica on one Postgres counts the same failures, and a restart forgets none.
      // One row per key a reserved check counts against (pair, account, address), pruned past the window.
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('login_checks')
          .addColumn('id', serial, (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('scope', 'text', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('ticket', 'text', (c) => c.notNull())
          .addColumn('at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('login_checks_key')
          .on('login_checks')
          .columns(['scope', 'key', 'at'])
          .execute();
        await db.schema.createIndex('login_checks_at').on('login_checks').columns(['scope', 'at']).execute();
      },
    },
    '0021_leases': {
      // A running job's lease (gradings, webhook deliveries, email; DuePump in server/platform): its worker
      // renews it while the job runs; a job still running past its lease belongs to a process that is gone
      // and goes back in line, so replicas on one Postgres take over each other's jobs without running
      // one twice.
      async up(db: Kysely<any>) {
        for (const table of ['grades', 'webhook_deliveries', 'outbox'])
          await db.schema.alterTable(table).addColumn('lease_until', ms).execute();
      },
    },
    '0022_workers': {
      // Sandbox workers (`worksample worker`, server/workers/): each registers where API servers reach it,
      // its capacity and its load, and writes a heartbeat; one whose heartbeat lapsed is not given sessions.
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('workers')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('max_sessions', 'integer', (c) => c.notNull())
          .addColumn('sessions', 'integer', (c) => c.notNull())
          .addColumn('ready', 'integer', (c) => c.notNull())
          .addColumn('gateway_ready', 'integer', (c) => c.notNull())
          .addColumn('detail', 'text')
          .addColumn('started_at', ms, (c) => c.notNull())
          .addColumn('heartbeat_at', ms, (c) => c.notNull())
          .addColumn('stopped_at', ms)
          .execute();
      },
    },
    '0023_run_events': {
      // Live Run events mirrored for followers on other replicas (Postgres; server/runs/mirror.ts):
      // written as the hub emits them, announced with NOTIFY, deleted once the run's record has it all.
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('run_events')
          .addColumn('run_id', 'text', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('event_json', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addPrimaryKeyConstraint('run_events_pk', ['run_id', 'seq'])
          .execute();
      },
    },
    '0024_run_leases': {
      // An unfinished Run's lease, renewed by the process running it: a replica killed mid-Run leaves a
      // row that another replica cuts off once the lease lapses, instead of holding the attempt's one
      // unfinished run (and the candidate's Run button) until a restart.
      async up(db: Kysely<any>) {
        await db.schema.alterTable('runs').addColumn('lease_until', ms).execute();
      },
    },
  };
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
