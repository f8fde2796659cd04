/**
 * Live Run events across API replicas (Postgres). The process that runs a job writes each event its
 * hub emits to `run_events` (in order, one statement that also NOTIFYs `worksample_run` with the run
 * id); a follower connected to another replica reads what it missed and then every event announced,
 * until the exit. One LISTEN connection per process serves all its followers; a missed notification
 * costs at most one poll interval. Rows go a minute after the run ends (its record then holds all).
 */
import { sql } from 'kysely';
import type { Database } from '../db/index.ts';
import type { Clock, ServiceContext } from '../platform/index.ts';
import type { Resume, RunEvent } from './hub.ts';

const CHANNEL = 'worksample_run';
const POLL_MS = 1000;
const KEEP_MS = 60_000;

export class RunMirror {
  /** run id → the chain of writes of that run (events stay in order). */
  private readonly writes = new Map<string, Promise<void>>();
  /** run id → wake-ups of followers here. */
  private readonly followers = new Map<string, Set<() => void>>();
  private listening: Promise<{ close(): Promise<void> }> | undefined;
  private closed = false;

  constructor(
    private readonly ctx: Pick<ServiceContext, 'db' | 'logger'> & { clock: Clock },
    private readonly database: Pick<Database, 'listen'>,
  ) {}

  /** Writer side: called for every event the hub emits. */
  publish(runId: string, e: RunEvent): void {
    const prev = this.writes.get(runId) ?? Promise.resolve();
    const next = prev
      .then(async () => {
        await sql`with ins as (
            insert into run_events (run_id, seq, event_json, created_at)
            values (${runId}, ${e.seq}, ${JSON.stringify(e)}, ${this.ctx.clock.now()})
            on conflict do nothing returning 1)
          select pg_notify(${CHANNEL}, ${runId}) from ins`.execute(this.ctx.db);
      })
      .catch((err: unknown) => this.ctx.logger.warn({ err, runId }, 'could not mirror a run event'));
    this.writes.set(runId, next);
    if (e.type === 'exit') {
      void next.then(() => {
        this.writes.delete(runId);
        setTimeout(() => void this.forget(runId), KEEP_MS).unref();
      });
    }
  }

  private async forget(runId: string) {
    await this.ctx.db
      .deleteFrom('run_events')
      .where('run_id', '=', runId)
      .execute()
      .catch(() => {});
  }

  /** Rows older than an hour (a process that died before deleting its own): at each start. */
  async prune(): Promise<void> {
    await this.ctx.db
      .deleteFrom('run_events')
      .where('created_at', '<', this.ctx.clock.now() - 60 * 60_000)
      .execute();
  }

  /**
   * Follower side: replays the run's mirrored events after `from`, then each new one, until its exit;
   * resolves with false when nothing of the run is mirrored (the caller falls back to its record).
   * `stopped()` ends the wait (the reader went away).
   */
  async follow(
    runId: string,
    from: Resume,
    send: (e: RunEvent) => void,
    stopped: () => boolean,
    finished: () => Promise<boolean>,
  ): Promise<void> {
    let seq = from.seq;
    let wake: () => void = () => {};
    const ring = () => wake();
    const set = this.followers.get(runId) ?? new Set();
    set.add(ring);
    this.followers.set(runId, set);
    void this.listen();
    try {
      for (;;) {
        const rows = await this.ctx.db
          .selectFrom('run_events')
          .select(['seq', 'event_json'])
          .where('run_id', '=', runId)
          .where('seq', '>', seq)
          .orderBy('seq')
          .execute();
        for (const r of rows) {
          const e = JSON.parse(r.event_json) as RunEvent;
          seq = e.seq;
          send(e);
          if (e.type === 'exit') return;
        }
        if (stopped()) return;
        // No exit mirrored and the record says done: the writer died before mirroring it all.
        if (!rows.length && (await finished())) return;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      set.delete(ring);
      if (!set.size) this.followers.delete(runId);
    }
  }

  private listen() {
    if (this.closed || !this.database.listen) return;
    this.listening ??= this.database
      .listen(
        CHANNEL,
        (runId) => {
          for (const ring of this.followers.get(runId) ?? []) ring();
        },
        () => (this.listening = undefined),
      )
      .catch((err: unknown) => {
        this.listening = undefined;
        this.ctx.logger.warn({ err }, 'could not listen for run events (followers poll)');
        throw err;
      });
    this.listening.catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.writes.values());
    const l = await this.listening?.catch(() => undefined);
    this.listening = undefined;
    await l?.close();
  }
}
