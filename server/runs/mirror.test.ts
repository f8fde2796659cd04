/**
 * The run event mirror on Postgres (followers on other replicas): two services on one database stand
 * for two replicas. A follower on the second replica gets the events the first one's hub emits — those
 * before it connected (from its Last-Event-ID on) and those after, announced by NOTIFY — in order, and
 * ends at the exit; a run with nothing mirrored whose record is done ends the follow at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/index.ts';
import { silentLogger } from '../logger/index.ts';
import { systemClock } from '../platform/index.ts';
import { freshDatabaseUrl } from '../testing/index.ts';
import { needs } from '../../tests/helpers/require.ts';
import { RunHub, type RunEvent } from './hub.ts';
import { RunMirror } from './mirror.ts';

const havePostgres = needs('postgres', Boolean(process.env.TEST_DATABASE_URL), 'set TEST_DATABASE_URL');

describe.runIf(havePostgres)('run event mirror', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function replica(url: string) {
    const database: Database = await openDatabase(url);
    const mirror = new RunMirror({ db: database.db, logger: silentLogger, clock: systemClock }, database);
    cleanup.push(() => database.close());
    cleanup.push(() => mirror.close());
    return mirror;
  }

  it('delivers what was emitted before and after the follower came, in order, up to the exit', async () => {
    const fresh = await freshDatabaseUrl('postgres');
    cleanup.push(fresh.drop);
    const a = await replica(fresh.url);
    const b = await replica(fresh.url);
    const hub = new RunHub();
    hub.mirror = (runId, e) => a.publish(runId, e);
    hub.open('run-1');
    hub.emit('run-1', { type: 'status', data: { status: 'running' } });
    hub.emit('run-1', { type: 'stdout', data: 'one\n' });
    hub.emit('run-1', { type: 'stdout', data: 'two\n' });
    // What a candidate's program can print, NUL and a lone surrogate included, goes through as it is.
    const odd = 'nul:\u0000 lone:\ud800 quote:" sql:\'); drop table runs; --\n';
    hub.emit('run-1', { type: 'stdout', data: odd });

    const seen: RunEvent[] = [];
    let sawTwo!: () => void;
    const two = new Promise<void>((r) => (sawTwo = r));
    // Resumes after the first event, as a reconnecting EventSource would (Last-Event-ID 1).
    const following = b.follow(
      'run-1',
      { seq: 1 },
      (e) => {
        seen.push(e);
        if (e.type === 'stdout' && e.data === odd) sawTwo();
      },
      () => false,
      async () => false,
    );
    await two;
    hub.emit('run-1', { type: 'stderr', data: 'three\n' });
    hub.emit('run-1', { type: 'exit', data: { verdict: 'ok', exitCode: 0, durationMs: 5 } });
    await following;
    const o = 8 + odd.length;
    expect(seen.map((e) => [e.seq, e.type, e.out, e.err])).toEqual([
      [2, 'stdout', 4, 0],
      [3, 'stdout', 8, 0],
      [4, 'stdout', o, 0],
      [5, 'stderr', o, 6],
      [6, 'exit', o, 6],
    ]);
    expect(seen[2]).toMatchObject({ type: 'stdout', data: odd });
  });

  it('ends when nothing is mirrored and the record says the run is done', async () => {
    const fresh = await freshDatabaseUrl('postgres');
    cleanup.push(fresh.drop);
    const b = await replica(fresh.url);
    const seen: RunEvent[] = [];
    await b.follow(
      'gone-run',
      { seq: 0 },
      (e) => seen.push(e),
      () => false,
      async () => true,
    );
    expect(seen).toEqual([]);
  });
});
