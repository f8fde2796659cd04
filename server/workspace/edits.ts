/**
 * Keeping and reading edit logs (edit-log.ts): the typing between two saves of a file, sent by the
 * candidate's browser right after the save it leads to, shown in the reviewer's replay.
 *
 * Stops: fabricated typing (a log is kept only if it rebuilds the saved revision from the one it
 * names as its start: both must be this attempt's own — a revision on its timeline or a starter file
 * of its task version, never another attempt's content); storage exhaustion (each log is charged to
 * the attempt's MAX_ATTEMPT_STORAGE_BYTES and to its own MAX_ATTEMPT_EDIT_LOG_BYTES; past either,
 * logs are dropped and one `workspace.edits_full` event says so); writes after submit. A refused log
 * never touches the save it follows: the save was already acknowledged.
 */
import { sql } from 'kysely';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { sha256Hex } from '../blobs/index.ts';
import { recordEvent, type Attempt } from '../attempts/index.ts';
import { revisionContent } from './revisions.ts';
import { checkPath } from './rules.ts';
import { decodeEdits, encodeEdits, replayEdits, type Edit, type EditLog } from './edit-log.ts';

/** What a stored log costs beyond its data (its row: path, two hashes, counts). */
export const EDIT_LOG_ROW_BYTES = 160;

export type EditLogResult = { stored: true } | { stored: false; reason: 'duplicate' | 'edit_log_full' };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether `sha256` is a content this attempt had at `path`: a saved revision, or its starter file. */
async function contentOfAttempt(
  ctx: ServiceContext,
  attempt: Attempt,
  path: string,
  sha256: string,
): Promise<boolean> {
  const saved = await ctx.db
    .selectFrom('attempt_events')
    .select('id')
    .where('attempt_id', '=', attempt.id)
    .where('sha256', '=', sha256)
    .where('type', 'in', ['file.written', 'file.renamed'])
    .executeTakeFirst();
  if (saved) return true;
  const starter = await ctx.db
    .selectFrom('task_version_files')
    .select('sha256')
    .where('task_version_id', '=', attempt.task_version_id)
    .where('role', '=', 'starter')
    .where('path', '=', `starter/${path}`)
    .where('sha256', '=', sha256)
    .executeTakeFirst();
  return !!starter;
}

async function textOf(ctx: ServiceContext, attemptId: string, sha256: string): Promise<string | undefined> {
  const bytes = await revisionContent(ctx.db, attemptId, sha256);
  if (!bytes) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Checks a log against the attempt's own revisions and keeps it within the attempt's bounds. */
export async function recordEditLog(
  ctx: ServiceContext,
  attempt: Attempt,
  log: EditLog,
): Promise<EditLogResult> {
  const path = checkPath(log.path);
  if (attempt.status !== 'started')
    throw new AppError(
      'attempt_submitted',
      'this attempt was already submitted; changes are no longer accepted',
    );
  if (ctx.clock.now() > attempt.deadline_at + ctx.config.submitGraceMs)
    throw new AppError('deadline_passed', 'the time limit has passed; changes are no longer accepted');
  const target = await ctx.db
    .selectFrom('attempt_events')
    .select('id')
    .where('attempt_id', '=', attempt.id)
    .where('type', '=', 'file.written')
    .where('path', '=', path)
    .where('sha256', '=', log.sha256)
    .executeTakeFirst();
  if (!target) throw new AppError('not_found', `${path} was never saved with that content in this attempt`);
  // Cheap answers before the costly check: a resend, or an attempt whose edit log is full.
  const kept = await ctx.db
    .selectFrom('edit_logs')
    .select('id')
    .where('attempt_id', '=', attempt.id)
    .where('path', '=', path)
    .where('base_sha256', '=', log.baseSha256)
    .where('sha256', '=', log.sha256)
    .executeTakeFirst();
  if (kept) return { stored: false, reason: 'duplicate' };
  const used = await ctx.db
    .selectFrom('attempts')
    .select('edit_log_bytes')
    .where('id', '=', attempt.id)
    .executeTakeFirstOrThrow();
  if (used.edit_log_bytes + EDIT_LOG_ROW_BYTES > ctx.config.limits.maxAttemptEditLogBytes)
    return store(ctx, attempt, path, log, Buffer.alloc(0)); // refused there, noted once
  if (!(await contentOfAttempt(ctx, attempt, path, log.baseSha256)))
    throw new AppError('not_found', `the edits start from a content ${path} never had in this attempt`);
  const base = await textOf(ctx, attempt.id, log.baseSha256);
  if (base === undefined)
    throw new AppError('validation_failed', `the edits start from content that is not text`);
  const replayed = replayEdits(base, log.edits);
  if ('problem' in replayed) throw new AppError('validation_failed', `edit log refused: ${replayed.problem}`);
  if (sha256Hex(Buffer.from(replayed.text, 'utf8')) !== log.sha256)
    throw new AppError('validation_failed', 'edit log refused: the edits do not rebuild the saved content');
  return store(ctx, attempt, path, log, encodeEdits(log.edits));
}

async function store(
  ctx: ServiceContext,
  attempt: Attempt,
  path: string,
  log: EditLog,
  data: Buffer,
): Promise<EditLogResult> {
  const { maxAttemptStorageBytes, maxAttemptEditLogBytes } = ctx.config.limits;
  const cost = data.byteLength + EDIT_LOG_ROW_BYTES;
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    // The bounds and the open attempt in one conditional update: concurrent logs cannot overshoot.
    const charged = await trx
      .updateTable('attempts')
      .set({
        stored_bytes: sql`stored_bytes + ${cost}`,
        edit_log_bytes: sql`edit_log_bytes + ${cost}`,
      })
      .where('id', '=', attempt.id)
      .where('status', '=', 'started')
      .where(sql<boolean>`stored_bytes + ${cost} <= ${maxAttemptStorageBytes}`)
      .where(sql<boolean>`edit_log_bytes + ${cost} <= ${maxAttemptEditLogBytes}`)
      .returning('id')
      .executeTakeFirst();
    if (!charged) {
      const a = await trx
        .selectFrom('attempts')
        .select('status')
        .where('id', '=', attempt.id)
        .executeTakeFirstOrThrow();
      if (a.status !== 'started') throw new AppError('attempt_submitted', 'the attempt is not open');
      const noted = await trx
        .selectFrom('attempt_events')
        .select('id')
        .where('attempt_id', '=', attempt.id)
        .where('type', '=', 'workspace.edits_full')
        .executeTakeFirst();
      if (!noted)
        await recordEvent(trx, {
          attemptId: attempt.id,
          at: now,
          type: 'workspace.edits_full',
          payload: { maxBytes: maxAttemptEditLogBytes },
        });
      return { stored: false, reason: 'edit_log_full' } as const;
    }
    const res = await trx
      .insertInto('edit_logs')
      .values({
        attempt_id: attempt.id,
        path,
        base_sha256: log.baseSha256,
        sha256: log.sha256,
        edits: log.edits.length,
        dropped: log.dropped,
        data,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['attempt_id', 'path', 'base_sha256', 'sha256']).doNothing())
      .executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) {
      // Already kept (a retried send): charge nothing.
      await trx
        .updateTable('attempts')
        .set({
          stored_bytes: sql`stored_bytes - ${cost}`,
          edit_log_bytes: sql`edit_log_bytes - ${cost}`,
        })
        .where('id', '=', attempt.id)
        .execute();
      return { stored: false, reason: 'duplicate' } as const;
    }
    return { stored: true } as const;
  });
}

export interface StoredEditLog {
  path: string;
  baseSha256: string;
  sha256: string;
  /** Server time the log arrived (just after the save it leads to). */
  at: number;
  edits: Edit[];
  dropped: number;
}

/** Every kept edit log of the attempt, oldest first (for the replay). */
export async function listEditLogs(ctx: ServiceContext, attemptId: string): Promise<StoredEditLog[]> {
  const rows = await ctx.db
    .selectFrom('edit_logs')
    .selectAll()
    .where('attempt_id', '=', attemptId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    path: r.path,
    baseSha256: r.base_sha256,
    sha256: r.sha256,
    at: r.created_at,
    edits: decodeEdits(Buffer.from(r.data)),
    dropped: r.dropped,
  }));
}
