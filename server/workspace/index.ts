/**
 * A candidate's workspace files. Every change is checked against the path rules and size limits
 * before anything is stored (a refused write has no side effect), records a per-file revision, and
 * appends an event so the attempt can be replayed. Stale writes (baseRevision behind) are refused
 * so two tabs cannot silently overwrite each other.
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { Db } from '../db/index.ts';
import { getBlob } from '../blobs/index.ts';
import { recordEvent, type Attempt } from '../attempts/index.ts';
import { pathsCollide } from './paths.ts';
import { revisionContent } from './revisions.ts';
import { checkPath, checkRevision, toInfo, type FileInfo } from './rules.ts';

export { pathProblem } from './paths.ts';
export { revisionContent } from './revisions.ts';
export { writeFile } from './save.ts';
export { listEditLogs, recordEditLog, type EditLogResult, type StoredEditLog } from './edits.ts';
export { editLogSchema, MAX_EDITS, MAX_INSERTED, type Edit, type EditLog } from './edit-log.ts';
export { Autosave, type AutosaveInput } from './autosave.ts';
export type { FileInfo } from './rules.ts';

export async function listFiles(ctx: ServiceContext, attemptId: string): Promise<FileInfo[]> {
  const rows = await ctx.db
    .selectFrom('workspace_files')
    .selectAll()
    .where('attempt_id', '=', attemptId)
    .orderBy('path')
    .execute();
  return rows.map(toInfo);
}

export async function readFile(
  ctx: ServiceContext,
  attemptId: string,
  path: string,
): Promise<FileInfo & { content: Buffer }> {
  checkPath(path);
  const row = await ctx.db
    .selectFrom('workspace_files')
    .selectAll()
    .where('attempt_id', '=', attemptId)
    .where('path', '=', path)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `file ${path} not found`);
  const content = row.content ? Buffer.from(row.content) : await getBlob(ctx.db, row.sha256);
  if (!content) throw new AppError('internal', `content of ${path} is missing`);
  return { ...toInfo(row), content };
}

/**
 * The bytes of a current workspace file of the attempt, by its sha256 (runs and grading sync files
 * by hash): on the workspace row once saved, else the starter's blob, else its stored revision.
 */
export async function fileContent(
  ctx: ServiceContext,
  attemptId: string,
  sha256: string,
): Promise<Buffer | undefined> {
  const row = await ctx.db
    .selectFrom('workspace_files')
    .select('content')
    .where('attempt_id', '=', attemptId)
    .where('sha256', '=', sha256)
    .where('content', 'is not', null)
    .executeTakeFirst();
  if (row?.content) return Buffer.from(row.content);
  return (await getBlob(ctx.db, sha256)) ?? (await revisionContent(ctx.db, attemptId, sha256));
}

/** Inside a write transaction: the attempt must still be open (re-read, so a concurrent submit wins). */
async function lockOpenAttempt(ctx: ServiceContext, trx: Db, attempt: Attempt) {
  const a = await trx
    .selectFrom('attempts')
    .select(['status', 'deadline_at'])
    .where('id', '=', attempt.id)
    .executeTakeFirstOrThrow();
  if (a.status !== 'started')
    throw new AppError(
      'attempt_submitted',
      'this attempt was already submitted; changes are no longer accepted',
    );
  if (ctx.clock.now() > a.deadline_at + ctx.config.submitGraceMs) {
    throw new AppError('deadline_passed', 'the time limit has passed; changes are no longer accepted');
  }
}

/** In a write transaction: the attempt must be open; returns its current files. */
async function openWorkspace(ctx: ServiceContext, trx: Db, attempt: Attempt) {
  await lockOpenAttempt(ctx, trx, attempt);
  return trx.selectFrom('workspace_files').selectAll().where('attempt_id', '=', attempt.id).execute();
}

export async function renameFile(
  ctx: ServiceContext,
  attempt: Attempt,
  input: { from: string; to: string; baseRevision?: number },
): Promise<FileInfo> {
  const from = checkPath(input.from, 'from');
  const to = checkPath(input.to, 'to');
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const files = await openWorkspace(ctx, trx, attempt);
    const current = files.find((f) => f.path === from);
    if (!current) throw new AppError('not_found', `file ${from} not found`);
    checkRevision(from, current.revision, input.baseRevision);
    if (from === to) return toInfo(current);
    if (files.some((f) => f.path === to))
      throw new AppError('conflict', `${to} already exists; delete it first or pick another name`);
    const clash = files.find((f) => f.path !== from && pathsCollide(f.path, to));
    if (clash)
      throw new AppError(
        'conflict',
        `${to} clashes with existing ${clash.path} (a name cannot be both a file and a folder)`,
      );
    const row = { ...current, path: to, revision: current.revision + 1, updated_at: now };
    await trx
      .deleteFrom('workspace_files')
      .where('attempt_id', '=', attempt.id)
      .where('path', '=', from)
      .execute();
    await trx.insertInto('workspace_files').values(row).execute();
    await recordEvent(trx, {
      attemptId: attempt.id,
      at: now,
      type: 'file.renamed',
      path: to,
      sha256: row.sha256,
      revision: row.revision,
      payload: { from },
    });
    return toInfo(row);
  });
}

export async function deleteFile(
  ctx: ServiceContext,
  attempt: Attempt,
  input: { path: string; baseRevision?: number },
): Promise<void> {
  const path = checkPath(input.path);
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await lockOpenAttempt(ctx, trx, attempt);
    const current = await trx
      .selectFrom('workspace_files')
      .select('revision')
      .where('attempt_id', '=', attempt.id)
      .where('path', '=', path)
      .executeTakeFirst();
    if (!current) throw new AppError('not_found', `file ${path} not found`);
    checkRevision(path, current.revision, input.baseRevision);
    await trx
      .deleteFrom('workspace_files')
      .where('attempt_id', '=', attempt.id)
      .where('path', '=', path)
      .execute();
    await recordEvent(trx, { attemptId: attempt.id, at: now, type: 'file.deleted', path });
  });
}

export async function listEvents(ctx: ServiceContext, attemptId: string) {
  const rows = await ctx.db
    .selectFrom('attempt_events')
    .selectAll()
    .where('attempt_id', '=', attemptId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    type: r.type,
    path: r.path,
    sha256: r.sha256,
    revision: r.revision,
    payload: JSON.parse(r.payload_json) as unknown,
  }));
}
