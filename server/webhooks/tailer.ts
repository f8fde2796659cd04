/**
 * The webhook producer: tails the durable timelines (attempt_events, invitation_events) by id with a
 * cursor row per table. One transaction reads a batch after the cursor, adds one webhook event per
 * timeline event that is news and one delivery per enabled endpoint subscribed to it, and moves the
 * cursor — so a crash anywhere leaves either all of it or none, and a timeline event becomes at most
 * one webhook event (`webhook_events.source` is unique) and one delivery per endpoint.
 *
 * Ids are handed out when a row is inserted, not when its transaction commits: on Postgres a
 * transaction holding id 41 can commit after one holding 42. The cursor therefore only moves over
 * ids with no hole below them; rows past a hole are still fanned out (idempotently), and a hole is
 * skipped once it has stayed open for GAP_MS (a rolled-back insert leaves one for good).
 */
import type { Db } from '../db/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { attemptEventBody, invitationEventBody, FROM_TIMELINE, type WebhookBody } from './events.ts';

/** Rows read per transaction. */
const BATCH = 200;
/** How long a hole in the ids may stay open before the cursor passes it (real time, milliseconds). */
export const GAP_MS = 15_000;

type SourceName = 'attempt_events' | 'invitation_events';

/**
 * A further producer run inside the tailer's transaction for every attempt_events row (before the
 * webhook fan-out): it may add webhook events and deliveries with `trx`, keyed by `source` so a row
 * read twice adds nothing twice. Answers how many deliveries it queued.
 */
export type FanOut = (
  trx: Db,
  row: { id: number; type: string; attempt_id: string; at: number },
  source: string,
) => Promise<number>;

interface SourceRow {
  id: number;
  type: string;
}

interface Source {
  name: SourceName;
  read(db: Db, after: number): Promise<SourceRow[]>;
  body(db: Db, publicUrl: string, eventId: string, row: SourceRow): Promise<WebhookBody | undefined>;
}

const NEWS = Object.keys(FROM_TIMELINE);

const sources: Source[] = [
  {
    name: 'attempt_events',
    read: (db, after) =>
      db
        .selectFrom('attempt_events')
        .select(['id', 'type', 'attempt_id', 'at', 'payload_json'])
        .where('id', '>', after)
        .orderBy('id')
        .limit(BATCH)
        .execute(),
    body: (db, url, id, row) => attemptEventBody(db, url, id, row as never),
  },
  {
    name: 'invitation_events',
    read: (db, after) =>
      db
        .selectFrom('invitation_events')
        .select(['id', 'type', 'invitation_id', 'at'])
        .where('id', '>', after)
        .orderBy('id')
        .limit(BATCH)
        .execute(),
    body: (db, url, id, row) => invitationEventBody(db, url, id, row as never),
  },
];

/** Tails both timelines until caught up. Answers how many deliveries were queued. */
export class Tailer {
  /** First time each hole (the id missing right after a cursor) was seen, by performance.now(). */
  private readonly holes = new Map<string, number>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly monotonicNow: () => number = () => performance.now(),
    private readonly fanOut: FanOut[] = [],
  ) {}

  async catchUp(): Promise<number> {
    let queued = 0;
    for (const source of sources) {
      for (let round = 0; round < 50; round++) {
        const r = await this.once(source);
        queued += r.queued;
        if (!r.more) break;
      }
    }
    return queued;
  }

  private async once(source: Source): Promise<{ queued: number; more: boolean }> {
    const { ctx } = this;
    return ctx.db.transaction().execute(async (trx) => {
      const cursor = await trx
        .selectFrom('webhook_cursors')
        .select('last_id')
        .where('name', '=', source.name)
        .executeTakeFirst();
      const from = Number(cursor?.last_id ?? 0);
      const rows = await source.read(trx, from);
      if (!rows.length) return { queued: 0, more: false };
      const endpoints = (
        await trx
          .selectFrom('webhook_endpoints')
          .select(['id', 'events_json'])
          .where('enabled', '=', 1)
          .execute()
      ).map((e) => ({ id: e.id, events: new Set(JSON.parse(e.events_json) as string[]) }));
      let safe = from;
      let blocked = false;
      let queued = 0;
      const now = ctx.clock.now();
      for (const row of rows) {
        if (!blocked && row.id !== safe + 1) blocked = !this.holeExpired(`${source.name}:${safe + 1}`);
        if (!blocked) safe = row.id;
        if (source.name === 'attempt_events')
          for (const f of this.fanOut) queued += await f(trx, row as never, `${source.name}:${row.id}`);
        if (!NEWS.includes(row.type)) continue;
        const type = FROM_TIMELINE[row.type]!;
        const subscribed = endpoints.filter((e) => e.events.has(type));
        if (!subscribed.length) continue;
        const sourceKey = `${source.name}:${row.id}`;
        const seen = await trx
          .selectFrom('webhook_events')
          .select('id')
          .where('source', '=', sourceKey)
          .executeTakeFirst();
        if (seen) continue;
        const eventId = ctx.ids.id('evt');
        const body = await source.body(trx, ctx.config.publicUrl, eventId, row);
        if (!body) continue;
        await trx
          .insertInto('webhook_events')
          .values({
            id: eventId,
            type: body.type,
            source: sourceKey,
            occurred_at: Date.parse(body.occurredAt) || now,
            body: JSON.stringify(body),
            created_at: now,
          })
          .execute();
        await trx
          .insertInto('webhook_deliveries')
          .values(
            subscribed.map((e) => ({
              id: ctx.ids.id('whd'),
              endpoint_id: e.id,
              event_id: eventId,
              status: 'pending' as const,
              tries: 0,
              next_attempt_at: now,
              last_status: null,
              last_error: null,
              created_at: now,
              finished_at: null,
            })),
          )
          .execute();
        queued += subscribed.length;
      }
      for (const key of this.holes.keys())
        if (key.startsWith(`${source.name}:`) && Number(key.split(':')[1]) <= safe) this.holes.delete(key);
      if (safe !== from)
        await trx
          .updateTable('webhook_cursors')
          .set({ last_id: safe, updated_at: now })
          .where('name', '=', source.name)
          .execute();
      return { queued, more: rows.length === BATCH && safe !== from };
    });
  }

  /** True once the hole has been open for GAP_MS (it is then forgotten: the cursor passes it). */
  private holeExpired(key: string): boolean {
    const t = this.monotonicNow();
    const first = this.holes.get(key);
    if (first === undefined) {
      this.holes.set(key, t);
      return false;
    }
    if (t - first < GAP_MS) return false;
    this.holes.delete(key);
    return true;
  }
}
