/**
 * Saving a file: the editor's autosave, the hottest write in the product. Checks come first (a refused
 * save stores nothing), then one atomic write: the revision (a splice against the current content, or
 * a snapshot: delta.ts), the attempt's storage count with its open/bound check, the file row
 * (conditioned on the revision read, so a concurrent save of the same file loses with 409), and the
 * timeline event.
 *
 * Round trips: one read of the workspace (every file's facts, plus the current bytes and splice depth
 * of the file being saved), then on Postgres one statement with data-modifying CTEs (no BEGIN/COMMIT),
 * on SQLite the same steps as statements inside one transaction (in-process, so they cost no trips).
 */
import { PostgresAdapter, sql } from 'kysely';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { Db } from '../db/index.ts';
import { sha256Hex } from '../blobs/index.ts';
import { recordEvent, type Attempt } from '../attempts/index.ts';
import { pathsCollide } from './paths.ts';
import { encodeRevision, type Stored } from './delta.ts';
import { storeRevision } from './revisions.ts';
import { checkPath, checkRevision, toInfo, type FileInfo } from './rules.ts';

export interface Plan {
  attemptId: string;
  path: string;
  sha256: string;
  content: Buffer;
  now: number;
  current?: { revision: number; sha256: string };
  stored: Stored & { depth: number };
  /** Bytes the revision adds (0 when the attempt already has this content). */
  added: number;
}

/**
 * The attempt's files for a write to `path`, in one query: every file's facts (limits, path clashes)
 * and, for `path` alone, its current bytes and splice depth (the base of the next revision), and
 * whether the attempt already stored the new content.
 */
function filesForWrite(db: Db, attemptId: string, path: string, sha256: string) {
  return db
    .selectFrom('workspace_files as w')
    .leftJoin('file_revisions as r', (j) =>
      j.onRef('r.attempt_id', '=', 'w.attempt_id').onRef('r.sha256', '=', 'w.sha256').on('w.path', '=', path),
    )
    .select(['w.path', 'w.size', 'w.sha256', 'w.revision', 'w.updated_at', 'r.depth'])
    .select(sql<Uint8Array | null>`case when w.path = ${path} then w.content end`.as('content'))
    .select(
      sql<number>`(select count(*) from file_revisions k where k.attempt_id = ${attemptId} and k.sha256 = ${sha256})`.as(
        'known',
      ),
    )
    .where('w.attempt_id', '=', attemptId)
    .execute();
}

/** Why the attempt refuses this save, if it does: submitted, past its deadline, or out of storage. */
function refusal(
  ctx: ServiceContext,
  a: { status: string; deadline_at: number; stored_bytes: number },
  added: number,
): AppError | undefined {
  if (a.status !== 'started')
    return new AppError(
      'attempt_submitted',
      'this attempt was already submitted; changes are no longer accepted',
    );
  if (ctx.clock.now() > a.deadline_at + ctx.config.submitGraceMs)
    return new AppError('deadline_passed', 'the time limit has passed; changes are no longer accepted');
  const limit = ctx.config.limits.maxAttemptStorageBytes;
  if (added > 0 && a.stored_bytes + added > limit)
    return new AppError(
      'payload_too_large',
      `this attempt has used the storage it is allowed for saved work (${limit} bytes), so this change was not saved on the server. ` +
        'Your latest edits are still kept in this browser; tell the hiring team so they can raise the limit.',
      { limit: 'attempt_storage', storedBytes: a.stored_bytes, maxBytes: limit },
    );
  return undefined;
}

/** Reads the workspace and decides what to store; returns the unchanged file for an identical save. */
async function plan(
  ctx: ServiceContext,
  db: Db,
  attemptId: string,
  input: { path: string; content: Buffer; baseRevision?: number },
  sha256: string,
): Promise<{ plan: Plan } | { unchanged: FileInfo }> {
  const { path, content } = input;
  const { limits } = ctx.config;
  const files = await filesForWrite(db, attemptId, path, sha256);
  const current = files.find((f) => f.path === path);
  checkRevision(path, current?.revision, input.baseRevision);
  if (current && current.sha256 === sha256) return { unchanged: toInfo(current) };
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
  const total = files.reduce((n, f) => n + f.size, 0) - (current?.size ?? 0) + content.byteLength;
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
  const stored = encodeRevision(content, base);
  const known = Number(files[0]?.known ?? 0) > 0;
  return {
    plan: {
      attemptId,
      path,
      sha256,
      content,
      now: ctx.clock.now(),
      current: current && { revision: current.revision, sha256: current.sha256 },
      stored,
      added: known ? 0 : stored.data.byteLength,
    },
  };
}

const fileRow = (p: Plan) => ({
  attempt_id: p.attemptId,
  path: p.path,
  sha256: p.sha256,
  size: p.content.byteLength,
  revision: (p.current?.revision ?? 0) + 1,
  updated_at: p.now,
});

/**
 * Creates or replaces a file. baseRevision 0 means "create only". Identical content is a no-op.
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
  const sha256 = sha256Hex(input.content);
  if (ctx.db.getExecutor().adapter instanceof PostgresAdapter) {
    const p = await plan(ctx, ctx.db, attempt.id, { ...input, path }, sha256);
    if ('unchanged' in p) return { ...p.unchanged, changed: false };
    await commitPostgres(ctx, p.plan);
    return { ...toInfo(fileRow(p.plan)), changed: true };
  }
  return ctx.db.transaction().execute(async (trx) => {
    const p = await plan(ctx, trx, attempt.id, { ...input, path }, sha256);
    if ('unchanged' in p) return { ...p.unchanged, changed: false };
    await commitInTransaction(ctx, trx, p.plan);
    return { ...toInfo(fileRow(p.plan)), changed: true };
  });
}

/** SQLite: the steps as statements in the caller's transaction (one writer at a time). */
export async function commitInTransaction(ctx: ServiceContext, trx: Db, p: Plan) {
  const added = await storeRevision(trx, {
    attemptId: p.attemptId,
    sha256: p.sha256,
    size: p.content.byteLength,
    baseSha256: p.current?.sha256 ?? null,
    now: p.now,
    ...p.stored,
  });
  const a = await trx
    .updateTable('attempts')
    .set({ stored_bytes: sql`stored_bytes + ${added}` })
    .where('id', '=', p.attemptId)
    .returning(['status', 'deadline_at', 'stored_bytes'])
    .executeTakeFirstOrThrow();
  const refused = refusal(ctx, { ...a, stored_bytes: a.stored_bytes - added }, added);
  if (refused) throw refused; // rolls the transaction back
  const row = { ...fileRow(p), content: p.content };
  if (p.current) {
    await trx
      .updateTable('workspace_files')
      .set(row)
      .where('attempt_id', '=', p.attemptId)
      .where('path', '=', p.path)
      .execute();
  } else {
    await trx.insertInto('workspace_files').values(row).execute();
  }
  await recordEvent(trx, {
    attemptId: p.attemptId,
    at: p.now,
    type: 'file.written',
    path: p.path,
    sha256: p.sha256,
    revision: row.revision,
  });
}

/**
 * Postgres: one statement. `charged` (the attempt open, within its bound, and the file still at the
 * revision read) gates every other write, so a refused save leaves nothing behind.
 */
async function commitPostgres(ctx: ServiceContext, p: Plan) {
  const row = fileRow(p);
  const limit = ctx.config.limits.maxAttemptStorageBytes;
  const stillThere = p.current
    ? sql`exists (select 1 from workspace_files where attempt_id = ${p.attemptId} and path = ${p.path} and revision = ${p.current.revision}::integer)`
    : sql`not exists (select 1 from workspace_files where attempt_id = ${p.attemptId} and path = ${p.path})`;
  const write = p.current
    ? sql`update workspace_files set sha256 = ${p.sha256}, size = ${row.size}::integer, revision = ${row.revision}::integer,
          updated_at = ${p.now}::bigint, content = ${p.content}::bytea
        where attempt_id = ${p.attemptId} and path = ${p.path} and revision = ${p.current.revision}::integer
          and exists (select 1 from charged)
        returning 1`
    : sql`insert into workspace_files (attempt_id, path, sha256, size, revision, updated_at, content)
        select ${p.attemptId}, ${p.path}, ${p.sha256}, ${row.size}::integer, 1, ${p.now}::bigint, ${p.content}::bytea
        where exists (select 1 from charged)
        on conflict do nothing
        returning 1`;
  const { rows } = await sql<{ charged: number; written: number }>`
    with charged as (
      update attempts set stored_bytes = stored_bytes + ${p.added}::bigint
      where id = ${p.attemptId} and status = 'started'
        and deadline_at >= ${p.now - ctx.config.submitGraceMs}::bigint
        and (${p.added}::bigint = 0 or stored_bytes + ${p.added}::bigint <= ${limit}::bigint)
        and ${stillThere}
      returning 1
    ),
    written as (${write}),
    revision as (
      insert into file_revisions (attempt_id, sha256, base_sha256, depth, encoding, size, data, created_at)
      select ${p.attemptId}, ${p.sha256}, ${p.stored.depth === 0 ? null : (p.current?.sha256 ?? null)}::text,
        ${p.stored.depth}::integer, ${p.stored.encoding}, ${row.size}::integer, ${p.stored.data}::bytea, ${p.now}::bigint
      where exists (select 1 from written)
      on conflict (attempt_id, sha256) do nothing
      returning 1
    ),
    event as (
      insert into attempt_events (attempt_id, at, type, path, sha256, revision, payload_json)
      select ${p.attemptId}, ${p.now}::bigint, 'file.written', ${p.path}, ${p.sha256}, ${row.revision}::integer, '{}'
      where exists (select 1 from written)
      returning 1
    )
    select (select count(*) from charged) as charged, (select count(*) from written) as written`.execute(
    ctx.db,
  );
  if (Number(rows[0]?.written) === 1) return;
  // Refused: say why (the rare path may read again).
  const a = await ctx.db
    .selectFrom('attempts')
    .select(['status', 'deadline_at', 'stored_bytes'])
    .where('id', '=', p.attemptId)
    .executeTakeFirstOrThrow();
  const refused = refusal(ctx, a, p.added);
  if (refused) throw refused;
  const now = await ctx.db
    .selectFrom('workspace_files')
    .select('revision')
    .where('attempt_id', '=', p.attemptId)
    .where('path', '=', p.path)
    .executeTakeFirst();
  checkRevision(p.path, now?.revision, p.current?.revision ?? 0);
  throw new AppError('stale_revision', `${p.path} changed while saving; reload to merge`, {
    currentRevision: now?.revision ?? 0,
  });
}
