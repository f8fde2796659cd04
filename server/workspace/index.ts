/**
 * A candidate's workspace files. Every change is checked against the path rules and size limits
 * before anything is stored (a refused write has no side effect), records a per-file revision, and
 * appends an event so the attempt can be replayed. Stale writes (baseRevision behind) are refused
 * so two tabs cannot silently overwrite each other.
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { Db } from '../db/index.ts';
import { sql } from 'kysely';
import { getBlob, sha256Hex } from '../blobs/index.ts';
import { recordEvent, type Attempt } from '../attempts/index.ts';
import { pathProblem, pathsCollide } from './paths.ts';
import { encodeRevision } from './delta.ts';
import { revisionContent, storeRevision } from './revisions.ts';

export { pathProblem } from './paths.ts';
export { revisionContent } from './revisions.ts';

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

/**
 * The attempt's files for a write to `path`, in one query: every file's facts (for the limits and
 * path clashes) and, for `path` alone, its current bytes and how many splices its revision sits on
 * (the base of the next revision).
 */
function filesForWrite(trx: Db, attemptId: string, path: string) {
  return trx
    .selectFrom('workspace_files as w')
    .leftJoin('file_revisions as r', (j) =>
      j.onRef('r.attempt_id', '=', 'w.attempt_id').onRef('r.sha256', '=', 'w.sha256').on('w.path', '=', path),
    )
    .select(['w.path', 'w.size', 'w.sha256', 'w.revision', 'w.updated_at', 'r.depth'])
    .select(sql<Uint8Array | null>`case when w.path = ${path} then w.content end`.as('content'))
    .where('w.attempt_id', '=', attemptId)
    .execute();
}

/**
 * Inside the save's transaction, after its revision is stored: adds the bytes it took to the
 * attempt's count and checks, on the row just locked, that the attempt is still open (a concurrent
 * submit wins) and within its storage bound.
 */
async function chargeOpenAttempt(ctx: ServiceContext, trx: Db, attemptId: string, added: number) {
  const a = await trx
    .updateTable('attempts')
    .set({ stored_bytes: sql`stored_bytes + ${added}` })
    .where('id', '=', attemptId)
    .returning(['status', 'deadline_at', 'stored_bytes'])
    .executeTakeFirstOrThrow();
  if (a.status !== 'started')
    throw new AppError(
      'attempt_submitted',
      'this attempt was already submitted; changes are no longer accepted',
    );
  if (ctx.clock.now() > a.deadline_at + ctx.config.submitGraceMs) {
    throw new AppError('deadline_passed', 'the time limit has passed; changes are no longer accepted');
  }
  const limit = ctx.config.limits.maxAttemptStorageBytes;
  if (added > 0 && a.stored_bytes > limit) {
    throw new AppError(
      'payload_too_large',
      `this attempt has used all the storage it is allowed for saved history (${limit} bytes), so this change was not saved on the server. ` +
        'Your latest edits are still kept in this browser; tell the hiring team so they can raise the limit.',
      { limit: 'attempt_storage', storedBytes: a.stored_bytes - added, maxBytes: limit },
    );
  }
}

/**
 * Creates or replaces a file. baseRevision 0 means "create only". Identical content is a no-op.
 * One transaction: read the workspace (one query), store the revision (a splice against the current
 * content, or a snapshot), charge and check the attempt, update the file, append the event.
 */
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
  const sha256 = sha256Hex(input.content);
  return ctx.db.transaction().execute(async (trx) => {
    const files = await filesForWrite(trx, attempt.id, path);
    const current = files.find((f) => f.path === path);
    checkRevision(path, current?.revision, input.baseRevision);
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
    // A splice needs the bytes it applies to: only files saved since the compact format carry them.
    const base =
      current?.content && current.depth !== null
        ? { content: Buffer.from(current.content), depth: current.depth }
        : undefined;
    const stored = encodeRevision(input.content, base);
    const added = await storeRevision(trx, {
      attemptId: attempt.id,
      sha256,
      size: input.content.byteLength,
      baseSha256: current?.sha256 ?? null,
      now,
      ...stored,
    });
    await chargeOpenAttempt(ctx, trx, attempt.id, added);
    const revision = (current?.revision ?? 0) + 1;
    const row = {
      attempt_id: attempt.id,
      path,
      sha256,
      size: input.content.byteLength,
      revision,
      updated_at: now,
    };
    // Conditioned on the revision read above: a concurrent save of the same file (Postgres) loses.
    const written = current
      ? await trx
          .updateTable('workspace_files')
          .set({ ...row, content: input.content })
          .where('attempt_id', '=', attempt.id)
          .where('path', '=', path)
          .where('revision', '=', current.revision)
          .executeTakeFirst()
          .then((r) => Number(r.numUpdatedRows))
      : await trx
          .insertInto('workspace_files')
          .values({ ...row, content: input.content })
          .onConflict((oc) => oc.columns(['attempt_id', 'path']).doNothing())
          .executeTakeFirst()
          .then((r) => Number(r.numInsertedOrUpdatedRows ?? 0));
    if (written !== 1) {
      const now = await trx
        .selectFrom('workspace_files')
        .select('revision')
        .where('attempt_id', '=', attempt.id)
        .where('path', '=', path)
        .executeTakeFirst();
      checkRevision(path, now?.revision, current?.revision ?? 0);
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
