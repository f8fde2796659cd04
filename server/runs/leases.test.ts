/**
 * A Run whose server dies mid-run does not hold the attempt's Run button on the other replicas: the
 * process running it renews the run's lease; once that stops (the process is gone), another replica's
 * sweep cuts the run off as `error` saying why, and the candidate can run again through it. Two
 * services over one database (Postgres when TEST_DATABASE_URL is set, else a SQLite file) stand for
 * two replicas; a fake clock stands for the time between.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dialects, freshDatabaseUrl, makeTestApp, type TestApp } from '../testing/index.ts';
import { openDatabase } from '../db/index.ts';
import { FakeClock } from '../platform/index.ts';
import { RUN_LEASE } from './index.ts';
import { LocalDriver } from '../sandbox/index.ts';
import { silentLogger } from '../logger/index.ts';

describe.each(dialects())('run leases on %s', (dialect) => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  async function replicas(): Promise<[TestApp, TestApp, FakeClock]> {
    let url: string;
    if (dialect === 'postgres') {
      const fresh = await freshDatabaseUrl('postgres');
      cleanup.push(fresh.drop);
      url = fresh.url;
    } else {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'ws-leases-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      url = `sqlite:${dir}/ws.db`;
    }
    const clock = new FakeClock();
    const apps: TestApp[] = [];
    for (let i = 0; i < 2; i++) {
      const database = await openDatabase(url);
      cleanup.push(() => database.close());
      const t = await makeTestApp({
        database,
        clock,
        driver: new LocalDriver({ logger: silentLogger, useBwrap: false }),
      });
      cleanup.push(() => t.close());
      apps.push(t);
    }
    return [apps[0]!, apps[1]!, clock];
  }

  /** On replica `a`: a candidate's Run that waits for input (an interactive one) until cancelled. */
  async function waitingRun(a: TestApp) {
    await a.importExample();
    const { browser, attemptId } = await a.startedCandidate();
    await a.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'main.mjs',
      content: 'process.stdin.on("data", () => {}); console.log("waiting");',
    });
    const started = await a.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, {
      kind: 'run',
      interactive: true,
    });
    expect(started.status, started.text).toBe(202);
    return { browser, attemptId, runId: started.json.run.id as string };
  }

  it('cuts off a run whose server stopped renewing it, and lets the candidate run again elsewhere', async () => {
    const [a, b, clock] = await replicas();
    const { browser, attemptId, runId } = await waitingRun(a);
    const status = async () =>
      (await b.ctx.db.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirstOrThrow())
        .status;
    await vi.waitFor(async () => expect(await status()).toBe('running'), { timeout: 15_000 });

    // While A renews the lease, B leaves the run alone (for longer than one lease) and refuses a second
    // run (one at a time).
    for (let i = 0; i < 4; i++) {
      clock.advance(RUN_LEASE.renewMs);
      await a.services.runs.renewLeases();
      expect(await b.services.runs.cutOff('lapsed', 'gone\n')).toBe(0);
    }
    const refused = await b.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'run' });
    expect(refused.status).toBe(409);

    // A stops renewing (as if killed): a lease later, B's sweep ends the run as an error saying why.
    clock.advance(RUN_LEASE.ms + 1);
    expect(await b.services.runs.cutOff('lapsed', 'worksample: the server running this run stopped\n')).toBe(
      1,
    );
    const seen = await b.req(browser, 'GET', `/api/attempts/${attemptId}/runs/${runId}`);
    expect(seen.json.run).toMatchObject({
      status: 'done',
      verdict: 'error',
      stderr: 'worksample: the server running this run stopped\n',
    });
    const again = await b.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'run' });
    expect(again.status, again.text).toBe(202);

    // A was only stalled, not dead: its run ends later. The record the candidate was shown stays (the
    // late result is dropped, no second timeline entry), and B's new run is left alone.
    await a.req(browser, 'POST', `/api/attempts/${attemptId}/runs/${runId}/cancel`);
    await a.services.runs.settle();
    const after = await b.req(browser, 'GET', `/api/attempts/${attemptId}/runs/${runId}`);
    expect(after.json.run).toMatchObject({
      status: 'done',
      verdict: 'error',
      stderr: 'worksample: the server running this run stopped\n',
    });
    const events = await b.ctx.db
      .selectFrom('attempt_events')
      .select('payload_json')
      .where('attempt_id', '=', attemptId)
      .where('type', '=', 'run.run')
      .execute();
    expect(events.filter((e) => JSON.parse(e.payload_json).runId === runId)).toEqual([]);
    const newer = await b.req(browser, 'GET', `/api/attempts/${attemptId}/runs/${again.json.run.id}`);
    expect(newer.json.run.verdict).not.toBe('cancelled');
  });

  it('leaves rows of other replicas alone at start unless it is the only process', async () => {
    const [a, b] = await replicas();
    const { browser, attemptId, runId } = await waitingRun(a);
    // A replica starting on Postgres (not exclusive) keeps the live run; a sole SQLite process cuts it off.
    expect(await b.services.runs.cutOff('lapsed', 'gone\n')).toBe(0);
    expect(await b.services.runs.cutOff('all', 'worksample: the server restarted during this run\n')).toBe(1);
    await a.req(browser, 'POST', `/api/attempts/${attemptId}/runs/${runId}/cancel`);
  });
});
