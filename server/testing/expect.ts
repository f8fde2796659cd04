/** Assertions shared by route tests: the standard error shape, and "nothing changed" snapshots. */
import { expect } from 'vitest';
import { listEvents, listFiles, readFile } from '../workspace/index.ts';
import type { TestApp } from './index.ts';

export type Res = Awaited<ReturnType<TestApp['req']>>;

/** The response is the standard error shape with this status and code (and message, if given). */
export function expectError(r: Res, status: number, code: string, message?: RegExp) {
  expect(r.status, `${r.status} ${r.text}`).toBe(status);
  expect(r.json.error.code).toBe(code);
  expect(r.json.error.requestId).toMatch(/\S/);
  if (message) expect(r.json.error.message).toMatch(message);
}

/** Everything a refused request must leave untouched: files, bytes, events, the attempt row, blobs, revisions. */
export async function workspaceState(t: TestApp, attemptId: string) {
  const files = await listFiles(t.ctx, attemptId);
  const contents = await Promise.all(
    files.map(async (f) => (await readFile(t.ctx, attemptId, f.path)).content.toString('base64')),
  );
  const attempt = await t.ctx.db
    .selectFrom('attempts')
    .selectAll()
    .where('id', '=', attemptId)
    .executeTakeFirstOrThrow();
  const blobs = await t.ctx.db.selectFrom('blobs').select('sha256').orderBy('sha256').execute();
  const revisions = await t.ctx.db
    .selectFrom('file_revisions')
    .select('sha256')
    .where('attempt_id', '=', attemptId)
    .orderBy('sha256')
    .execute();
  return { files, contents, events: await listEvents(t.ctx, attemptId), attempt, blobs, revisions };
}
