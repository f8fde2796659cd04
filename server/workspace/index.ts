/**
 * A candidate's workspace files. Every change is checked against the path rules and size limits
 * before anything is stored (a refused write has no side effect), records a per-file revision, and
 * appends an event so the attempt can be replayed. Stale writes (baseRevision behind) are refused
 * so two tabs cannot silently overwrite each other.
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { Db } from '../db/index.ts';
import { getBlob, putBlob, sha256Hex } from '../blobs/index.ts';
import { recordEvent, type Attempt } from '../attempts/index.ts';
import { pathProblem, pathsCollide } from './paths.ts';

export { pathProblem } from './paths.ts';

export interface FileInfo {
  path: string;
  size: number;
  sha256: string;
  revision: number;
  updatedAt: number;
}

const toInfo = (r: {
  path: string;
  size: number;
  sha256: string;
  revision: number;
  updated_at: number;
}): FileInfo => ({
  path: r.path,
  size: r.size,
  sha256: r.sha256,
  revision: r.revision,
  updatedAt: r.updated_at,
});

function checkPath(p: string, field = 'path'): string {
  const problem = pathProblem(p);
  if (problem) throw new AppError('validation_failed', `${field}: ${problem}`);
  return p;
}

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
  const content = await getBlob(ctx.db, row.sha256);
  if (!content) throw new AppError('internal', `content of ${path} is missing`);
  return { ...toInfo(row), content };
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

function checkRevision(path: string, current: number | undefined, base: number | undefined) {
  if (base === undefined) return;
  if ((current ?? 0) !== base) {
    throw new AppError(
      'stale_revision',
      current === undefined
        ? `${path} no longer exists (expected revision ${base}); reload to see the latest workspace`
        : `${path} changed elsewhere (now revision ${current}, you edited revision ${base}); reload to merge`,
      { currentRevision: current ?? 0 },
    );
  }
}

/** Creates or replaces a file. baseRevision 0 means "create only". Identical content is a no-op. */
export async function writeFile(
  ctx: ServiceContext,
  attempt: Attempt,
  input: { path: string; content: Buffer; baseRevision?: number },
): Promise<FileInfo & { changed: boolean }> {
  const path = checkPath(input.path);
  const { limits } = ctx.config;
  if (input.content.byteLength > limits.maxFileBytes) {
    throw new AppError(
      'payload_too_large',
      `${path} is ${input.content.byteLength} bytes; the limit per file is ${limits.maxFileBytes} bytes`,
    );
  }
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const files = await openWorkspace(ctx, trx, attempt);
    const current = files.find((f) => f.path === path);
    checkRevision(path, current?.revision, input.baseRevision);
    const sha256 = sha256Hex(input.content);
    if (current && current.sha256 === sha256) return { ...toInfo(current), changed: false };
    if (!current) {
      const clash = files.find((f) => pathsCollide(f.path, path));
      if (clash)
        throw new AppError(
          'conflict',
          `${path} clashes with existing ${clash.path} (a name cannot be both a file and a folder)`,
        );
      if (files.length + 1 > limits.maxFiles) {
        throw new AppError(
          'payload_too_large',
          `the workspace already has ${files.length} files; the limit is ${limits.maxFiles}`,
        );
      }
    }
    const total = files.reduce((n, f) => n + f.size, 0) - (current?.size ?? 0) + input.content.byteLength;
    if (total > limits.maxWorkspaceBytes) {
      throw new AppError(
        'payload_too_large',
        `this write would make the workspace ${total} bytes; the limit is ${limits.maxWorkspaceBytes} bytes`,
      );
    }
    await putBlob(trx, input.content, now);
    const revision = (current?.revision ?? 0) + 1;
    const row = {
      attempt_id: attempt.id,
      path,
      sha256,
      size: input.content.byteLength,
      revision,
      updated_at: now,
    };
    if (current) {
      await trx
        .updateTable('workspace_files')
        .set(row)
        .where('attempt_id', '=', attempt.id)
        .where('path', '=', path)
        .execute();
    } else {
      await trx.insertInto('workspace_files').values(row).execute();
    }
    await recordEvent(trx, { attemptId: attempt.id, at: now, type: 'file.written', path, sha256, revision });
    return { ...toInfo(row), changed: true };
  });
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
