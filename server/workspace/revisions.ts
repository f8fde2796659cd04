/**
 * An attempt's file revisions, stored compactly (delta.ts) in file_revisions, keyed by (attempt,
 * sha256) so a content the attempt already had costs nothing again. Timelines from before the
 * compact format name contents that live in blobs; those are read from there.
 */
import { sql } from 'kysely';
import type { Db } from '../db/index.ts';
import { getBlob, sha256Hex } from '../blobs/index.ts';
import { apply, type Stored } from './delta.ts';

/** Stores a revision unless the attempt already has this content; returns the bytes added. */
export async function storeRevision(
  db: Db,
  r: {
    attemptId: string;
    sha256: string;
    size: number;
    baseSha256: string | null;
    depth: number;
    now: number;
  } & Stored,
): Promise<number> {
  const res = await db
    .insertInto('file_revisions')
    .values({
      attempt_id: r.attemptId,
      sha256: r.sha256,
      base_sha256: r.depth === 0 ? null : r.baseSha256,
      depth: r.depth,
      encoding: r.encoding,
      size: r.size,
      data: r.data,
      created_at: r.now,
    })
    .onConflict((oc) => oc.columns(['attempt_id', 'sha256']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0 ? r.data.byteLength : 0;
}

interface ChainRow {
  sha256: string;
  encoding: Stored['encoding'];
  data: Uint8Array;
  depth: number;
}

/**
 * The content of one revision of the attempt, rebuilt from its snapshot and splices (one query for
 * the whole chain); undefined when the attempt never had it.
 */
export async function revisionContent(
  db: Db,
  attemptId: string,
  sha256: string,
): Promise<Buffer | undefined> {
  const { rows } = await sql<ChainRow>`
    with recursive chain (sha256, base_sha256, encoding, data, depth) as (
      select sha256, base_sha256, encoding, data, depth from file_revisions
        where attempt_id = ${attemptId} and sha256 = ${sha256}
      union all
      select r.sha256, r.base_sha256, r.encoding, r.data, r.depth
        from file_revisions r join chain c on r.sha256 = c.base_sha256
        where r.attempt_id = ${attemptId} and c.depth > 0
    )
    select sha256, encoding, data, depth from chain order by depth`.execute(db);
  if (!rows.length) return getBlob(db, sha256); // stored before the compact format
  let content: Buffer | undefined;
  for (const row of rows) content = apply({ encoding: row.encoding, data: Buffer.from(row.data) }, content);
  if (!content || rows[0]!.depth !== 0 || sha256Hex(content) !== sha256) {
    throw new Error(`revision ${sha256} of attempt ${attemptId} does not rebuild`);
  }
  return content;
}
