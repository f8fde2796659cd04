/**
 * The editor's autosave in one database statement (Postgres) or one in-process transaction (SQLite):
 * the session, the attempt and the write proven together, so a save costs one round trip instead of
 * four (session, attempt, workspace read, write). Under load every round trip is a socket write, a
 * wake-up of a Postgres backend and a context switch back, on the same few cores that run the server.
 *
 * Stops a save that the normal path would refuse from being stored here: the statement writes only
 * when the cookie's session is a live candidate session whose CSRF token the request echoes, the
 * session's invitation owns the attempt, the attempt is open and within deadline + grace, the file is
 * still the revision and content this process last saved (`FileBases`: the splice base), and the
 * storage and workspace bounds hold. Anything it cannot prove (no cached base, another revision, a new
 * file, identical content, any refusal) returns undefined and the caller takes the normal path, which
 * decides and words the answer (401, 403, 404, 409, 413). A stale base cannot corrupt a revision: the
 * write is conditioned on the revision and sha256 the base was taken from.
 */
import { CompiledQuery } from 'kysely';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { prepared, type Db } from '../db/index.ts';
import { sha256Hex } from '../blobs/index.ts';
import { pathProblem } from './paths.ts';
import { encodeRevision } from './delta.ts';
import { commitInTransaction, type Plan } from './save.ts';
import type { FileInfo } from './rules.ts';

/** What the last save of a file through this process left: the base of the next splice. */
interface FileBase {
  revision: number;
  sha256: string;
  content: Buffer;
  /** Splice depth of this content's stored revision (0: a snapshot). */
  depth: number;
}

/**
 * Bases of recently saved files, least recently used first out, bounded in bytes. Per process: an
 * entry another process made stale only costs a fall-back to the normal path.
 */
export class FileBases {
  private readonly map = new Map<string, FileBase>();
  private bytes = 0;
  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  get(key: string): FileBase | undefined {
    const b = this.map.get(key);
    if (b) {
      this.map.delete(key);
      this.map.set(key, b);
    }
    return b;
  }

  set(key: string, b: FileBase) {
    this.delete(key);
    if (b.content.byteLength > this.maxBytes) return;
    this.map.set(key, b);
    this.bytes += b.content.byteLength;
    for (const [k, old] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= old.content.byteLength;
    }
  }

  delete(key: string) {
    const b = this.map.get(key);
    if (!b) return;
    this.map.delete(key);
    this.bytes -= b.content.byteLength;
  }

  get size() {
    return this.map.size;
  }
}

export interface AutosaveInput {
  /** sha256 of the candidate cookie's value (sessions store only that). */
  sessionHash: string;
  /** The request's x-csrf-token. */
  csrfToken: string;
  attemptId: string;
  path: string;
  content: Buffer;
  baseRevision?: number;
}

/**
 * The one-trip autosave. `save` answers the saved file, or undefined when the normal path must
 * decide (see the module comment); it never throws an AppError.
 */
export class Autosave {
  readonly bases: FileBases;
  private readonly postgres: boolean;
  private readonly saveSql: string;

  constructor(
    private readonly ctx: ServiceContext,
    opts: { dialect: 'sqlite' | 'postgres'; maxBaseBytes?: number },
  ) {
    this.bases = new FileBases(opts.maxBaseBytes);
    this.postgres = opts.dialect === 'postgres';
    this.saveSql = prepared(pgSave(!ctx.config.autosaveSyncCommit));
  }

  async save(input: AutosaveInput): Promise<FileInfo | undefined> {
    const { limits } = this.ctx.config;
    if (pathProblem(input.path) || input.content.byteLength > limits.maxFileBytes) return undefined;
    const key = `${input.attemptId}\n${input.path}`;
    const base = this.bases.get(key) ?? (await this.readBase(input));
    if (!base) return undefined;
    const sha256 = sha256Hex(input.content);
    const stale = input.baseRevision !== undefined && input.baseRevision !== base.revision;
    if (stale || sha256 === base.sha256) {
      this.bases.delete(key);
      return undefined;
    }
    const p: Plan = {
      attemptId: input.attemptId,
      path: input.path,
      sha256,
      content: input.content,
      now: this.ctx.clock.now(),
      current: { revision: base.revision, sha256: base.sha256 },
      stored: encodeRevision(input.content, base),
      added: 0, // decided in the write: 0 when the attempt already stored this content
    };
    const written = this.postgres ? await this.writePostgres(input, p) : await this.writeSqlite(input, p);
    if (!written) {
      this.bases.delete(key);
      return undefined;
    }
    const revision = base.revision + 1;
    this.bases.set(key, { revision, sha256, content: input.content, depth: p.stored.depth });
    return { path: p.path, size: p.content.byteLength, sha256, revision, updatedAt: p.now };
  }

  /** The saved file's base, read in the same statement that authenticates (a cache miss: one more trip). */
  private async readBase(input: AutosaveInput): Promise<FileBase | undefined> {
    const values = [input.sessionHash, this.ctx.clock.now(), input.csrfToken, input.attemptId, input.path];
    const { rows } = await this.ctx.db.executeQuery<{
      revision: number;
      sha256: string;
      content: Uint8Array | null;
      depth: number | null;
    }>(
      this.postgres
        ? CompiledQuery.raw(PG_READ_BASE, values)
        : CompiledQuery.raw(SQLITE_READ_BASE.sql, SQLITE_READ_BASE.bind(values)),
    );
    const row = rows[0];
    // Files saved before the compact format have no bytes on the row or no depth: the normal path.
    if (!row?.content || row.depth === null) return undefined;
    return {
      revision: row.revision,
      sha256: row.sha256,
      content: Buffer.from(row.content),
      depth: row.depth,
    };
  }

  private async writePostgres(input: AutosaveInput, p: Plan): Promise<boolean> {
    const { config } = this.ctx;
    const { rows } = await this.ctx.db.executeQuery<{ written: number }>(
      CompiledQuery.raw(this.saveSql, [
        input.sessionHash, // $1
        p.now, // $2
        input.csrfToken, // $3
        p.attemptId, // $4
        config.submitGraceMs, // $5
        p.path, // $6
        p.current!.revision, // $7
        p.current!.sha256, // $8
        p.sha256, // $9
        p.stored.data.byteLength, // $10
        config.limits.maxAttemptStorageBytes, // $11
        p.content.byteLength, // $12
        config.limits.maxWorkspaceBytes, // $13
        p.content, // $14
        p.stored.depth === 0 ? null : p.current!.sha256, // $15
        p.stored.depth, // $16
        p.stored.encoding, // $17
        p.stored.data, // $18
      ]),
    );
    return Number(rows[0]?.written) === 1;
  }

  /** SQLite: one writer at a time, so the checks read in the transaction hold for its writes. */
  private async writeSqlite(input: AutosaveInput, p: Plan): Promise<boolean> {
    const { config } = this.ctx;
    try {
      return await this.ctx.db.transaction().execute(async (trx: Db) => {
        const values = [
          input.sessionHash,
          p.now,
          input.csrfToken,
          p.attemptId,
          config.submitGraceMs,
          p.path,
          p.current!.revision,
          p.current!.sha256,
          p.content.byteLength,
          config.limits.maxWorkspaceBytes,
        ];
        const { rows } = await trx.executeQuery<{ ok: number }>(
          CompiledQuery.raw(SQLITE_CHECK.sql, SQLITE_CHECK.bind(values)),
        );
        if (!rows[0]?.ok) return false;
        // The storage bound is checked on the attempt's update (an AppError rolls the transaction back).
        await commitInTransaction(this.ctx, trx, p);
        return true;
      });
    } catch (err) {
      if (err instanceof AppError) return false;
      throw err;
    }
  }
}

/** A live candidate session with this CSRF token whose invitation owns the attempt: $1 hash, $2 now, $3 csrf, $4 attempt. */
const PG_SESSION_OWNS = `select 1 from sessions s join attempts a on a.invitation_id = s.invitation_id
  where s.id_hash = $1 and s.kind = 'candidate' and s.expires_at > $2::bigint and s.csrf_token = $3 and a.id = $4`;

const PG_READ_BASE = prepared(`select w.revision, w.sha256, w.content, r.depth
  from workspace_files w left join file_revisions r on r.attempt_id = w.attempt_id and r.sha256 = w.sha256
  where w.attempt_id = $4 and w.path = $5 and exists (${PG_SESSION_OWNS})`);

/**
 * SQLite takes `?` parameters in order (better-sqlite3 does not bind `?NNN`): the same text with
 * `$n` written once, and the order to bind the numbered values in.
 */
function positional(text: string) {
  const order: number[] = [];
  const sql = text.replace(/\$(\d+)(?:::\w+)?/g, (_, n: string) => {
    order.push(Number(n) - 1);
    return '?';
  });
  return { sql, bind: (values: unknown[]) => order.map((i) => values[i]) };
}

const SQLITE_READ_BASE = positional(PG_READ_BASE);

/**
 * Postgres, one statement. Rows are locked in the files route's order (the attempt, then the file), so
 * this and a save through that route cannot deadlock: `attempt_open` is the session's attempt, open and within
 * deadline + grace; `base` the file row at the revision and content the splice was made against (a
 * concurrent save of the same file waits, then finds another revision and writes nothing); `charged`
 * adds the storage within its bound and checks the workspace bound; every write is gated on it, so a
 * refused save leaves nothing.
 *
 * With AUTOSAVE_SYNC_COMMIT=false, `relaxed` turns off synchronous commit for this statement's
 * transaction only: the answer does not wait for Postgres to fsync its WAL (on this project's test
 * machines an fsync now and then takes tens of milliseconds, and every save queues behind it). The
 * durability is then SQLite's (synchronous=NORMAL, db/index.ts): an acknowledged save survives a
 * crash of the worksample server; a crash of Postgres or of its machine can lose the last ≈0.6 s of
 * autosaves (3 × wal_writer_delay). The editor still holds the text, and its next save meets the lost
 * revision as a conflict. Submit, grades and everything else always commit synchronously.
 */
const pgSave = (
  relaxed: boolean,
) => `with relaxed as (select ${relaxed ? "set_config('synchronous_commit', 'off', true)" : '1'}),
  attempt_open as (
    select 1 from attempts, relaxed
    where id = $4 and status = 'started' and deadline_at >= $2::bigint - $5::bigint
      and exists (${PG_SESSION_OWNS})
    for no key update of attempts
  ),
  base as (
    select 1 from workspace_files
    where attempt_id = $4 and path = $6 and revision = $7::integer and sha256 = $8
      and exists (select 1 from attempt_open)
    for update
  ),
  known as (select exists (select 1 from file_revisions where attempt_id = $4 and sha256 = $9) as yes),
  charged as (
    update attempts
    set stored_bytes = stored_bytes + case when (select yes from known) then 0 else $10::bigint end
    where id = $4 and status = 'started' and deadline_at >= $2::bigint - $5::bigint
      and exists (select 1 from base)
      and ((select yes from known) or stored_bytes + $10::bigint <= $11::bigint)
      and (select coalesce(sum(size), 0) from workspace_files where attempt_id = $4 and path <> $6)
        + $12::bigint <= $13::bigint
    returning 1
  ),
  written as (
    update workspace_files
    set sha256 = $9, size = $12::integer, revision = $7::integer + 1, updated_at = $2::bigint, content = $14::bytea
    where attempt_id = $4 and path = $6 and revision = $7::integer and exists (select 1 from charged)
    returning 1
  ),
  revision as (
    insert into file_revisions (attempt_id, sha256, base_sha256, depth, encoding, size, data, created_at)
    select $4, $9, $15::text, $16::integer, $17, $12::integer, $18::bytea, $2::bigint
    where exists (select 1 from written)
    on conflict (attempt_id, sha256) do nothing
    returning 1
  ),
  event as (
    insert into attempt_events (attempt_id, at, type, path, sha256, revision, payload_json)
    select $4, $2::bigint, 'file.written', $6, $9, $7::integer + 1, '{}'
    where exists (select 1 from written)
    returning 1
  )
  select (select count(*) from written)::integer as written`;

/**
 * SQLite: in the save's transaction, the session owns the open attempt, the file is at the base, and
 * the workspace stays within its bound ($1 hash, $2 now, $3 csrf, $4 attempt, $5 grace, $6 path,
 * $7 revision, $8 sha256, $9 new size, $10 workspace bound).
 */
const SQLITE_CHECK = positional(`select 1 as ok from sessions s
  join attempts a on a.invitation_id = s.invitation_id
  join workspace_files w on w.attempt_id = a.id and w.path = $6
  where s.id_hash = $1 and s.kind = 'candidate' and s.expires_at > $2 and s.csrf_token = $3 and a.id = $4
    and a.status = 'started' and a.deadline_at >= $2 - $5
    and w.revision = $7 and w.sha256 = $8
    and (select coalesce(sum(size), 0) from workspace_files where attempt_id = $4 and path <> $6) + $9 <= $10`);
