/**
 * Content-addressed file storage: a blob is stored once under its sha256, however many
 * files, revisions or task versions point at it. Saving the same content again costs nothing.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../db/index.ts';

export function sha256Hex(content: Uint8Array | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Stores content (if new) and returns its hash. Safe to call inside a transaction. */
export async function putBlob(db: Db, content: Uint8Array, now: number): Promise<string> {
  const sha256 = sha256Hex(content);
  await db
    .insertInto('blobs')
    .values({ sha256, size: content.byteLength, content, created_at: now })
    .onConflict((oc) => oc.column('sha256').doNothing())
    .execute();
  return sha256;
}

export async function getBlob(db: Db, sha256: string): Promise<Buffer | undefined> {
  const row = await db.selectFrom('blobs').select('content').where('sha256', '=', sha256).executeTakeFirst();
  return row ? Buffer.from(row.content) : undefined;
}
