/**
 * The `workers` table: each worker's address, capacity, load and heartbeat. A worker writes its row at
 * start and every few seconds; API servers read the live ones (heartbeat within `staleMs`, not
 * stopped) to place new sessions, least loaded first.
 */
import type { Kysely } from 'kysely';
import type { DB, WorkersTable } from '../db/index.ts';

export interface WorkerBeat {
  id: string;
  url: string;
  maxSessions: number;
  sessions: number;
  ready: boolean;
  gatewayReady: boolean;
  detail?: string;
}

/** The columns a beat sets. */
const beatColumns = (beat: WorkerBeat, now: number) => ({
  url: beat.url,
  max_sessions: beat.maxSessions,
  sessions: beat.sessions,
  ready: beat.ready ? 1 : 0,
  gateway_ready: beat.gatewayReady ? 1 : 0,
  detail: beat.detail ?? null,
  heartbeat_at: now,
});

/** Registers (or re-registers after a restart: a new `started_at`) this worker. */
export async function registerWorker(db: Kysely<DB>, beat: WorkerBeat, now: number): Promise<void> {
  const row = { ...beatColumns(beat, now), started_at: now, stopped_at: null };
  await db
    .insertInto('workers')
    .values({ id: beat.id, ...row })
    .onConflict((oc) => oc.column('id').doUpdateSet(row))
    .execute();
}

export async function heartbeat(db: Kysely<DB>, beat: WorkerBeat, now: number): Promise<void> {
  await db.updateTable('workers').set(beatColumns(beat, now)).where('id', '=', beat.id).execute();
}

export async function markStopped(db: Kysely<DB>, id: string, now: number): Promise<void> {
  await db.updateTable('workers').set({ stopped_at: now }).where('id', '=', id).execute();
}

/** Workers alive now (heartbeat within `staleMs`, not stopped). */
export function liveWorkers(db: Kysely<DB>, now: number, staleMs: number): Promise<WorkersTable[]> {
  return db
    .selectFrom('workers')
    .selectAll()
    .where('stopped_at', 'is', null)
    .where('heartbeat_at', '>=', now - staleMs)
    .execute();
}
