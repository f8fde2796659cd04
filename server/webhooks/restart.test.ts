/**
 * Webhooks survive their process: a try cut off by a crash is logged and sent again by the next
 * process (same delivery id), a try cut off by a graceful stop goes back in line without counting,
 * timeline events committed while no worker ran are delivered at the next start (the cursor is
 * durable), and nothing is delivered twice across restarts. On SQLite (a file) and on Postgres when
 * TEST_DATABASE_URL is set. Also the tailer's handling of a hole in the ids (Postgres commit order).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dialects, freshDatabaseUrl, makeTestApp, type TestApp } from '../testing/index.ts';
import { openDatabase } from '../db/index.ts';
import { FakeClock, JOB_LEASE } from '../platform/index.ts';
import { startReceiver, type Receiver } from '../testing/webhook-receiver.ts';
import { needs } from '../../tests/helpers/require.ts';
import { WebhookWorker, WEBHOOK_EVENTS } from './index.ts';
import { GAP_MS, Tailer } from './tailer.ts';
import { recordTry } from './queue.ts';

const list = dialects();
needs('postgres', list.includes('postgres'), 'set TEST_DATABASE_URL (.ci/run does)');

describe.each(list)('webhooks across a restart on %s', (dialect) => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
  });

  async function databaseUrl() {
    if (dialect === 'postgres') {
      const fresh = await freshDatabaseUrl('postgres');
      cleanup.push(fresh.drop);
      return fresh.url;
    }
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ws-webhooks-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    return `sqlite:${dir}/ws.db`;
  }

  /** One "process": an app and a started worker over the database at url. */
  async function processOver(
    url: string,
    clock: FakeClock,
    timeoutSeconds = '30',
    opts: { exclusive?: boolean } = {},
  ) {
    const database = await openDatabase(url);
    cleanup.push(() => database.close());
    const t = await makeTestApp({
      database,
      clock,
      env: { WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_TIMEOUT_SECONDS: timeoutSeconds },
    });
    cleanup.push(() => t.close());
    const worker = new WebhookWorker({ ctx: t.ctx, random: () => 0.5, pollMs: 3_600_000, ...opts });
    cleanup.push(async () => {
      worker.stop();
      await worker.settle();
    });
    return { t, worker };
  }

  async function setUp(t: TestApp, receiver: Receiver) {
    const admin = await t.staff('admin');
    // Attempt events only: each test counts what one attempt's timeline produces.
    const events = WEBHOOK_EVENTS.filter((e) => e !== 'invitation.opened');
    const r = await t.req(admin, 'POST', '/api/webhooks', { url: receiver.url, events });
    receiver.setSecret(r.json.secret);
    return { admin, endpointId: r.json.endpoint.id as string };
  }

  const deliveries = async (t: TestApp) =>
    t.ctx.db.selectFrom('webhook_deliveries').selectAll().orderBy('created_at').execute();

  it('sends a try cut off by a crash again from the next process, with the same delivery id', async () => {
    const url = await databaseUrl();
    const clock = new FakeClock();
    const receiver = await startReceiver({
      plan: ({ n }) => (n === 1 ? 'hang' : 200),
      now: () => clock.now(),
    });
    cleanup.push(() => receiver.close());
    const first = await processOver(url, clock);
    await first.worker.start();
    await first.t.importExample();
    const { admin } = await setUp(first.t, receiver);
    await first.t.startedCandidate();
    await first.t.services.settle();
    first.worker.kick();
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1), { timeout: 10_000 });
    // The first process is gone mid-request (never stopped, as a crash leaves it).

    const second = await processOver(url, clock);
    expect(await second.worker.start()).toEqual({ requeued: 1 });
    await second.worker.settle();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.headers['x-worksample-delivery']).toBe(
      receiver.received[0]!.headers['x-worksample-delivery'],
    );
    expect(receiver.received[1]!.verified).toBe(true);
    const [d] = await deliveries(second.t);
    expect(d).toMatchObject({ status: 'succeeded', tries: 2 });
    const log = (await second.t.req(admin, 'GET', `/api/webhooks/${d!.endpoint_id}/deliveries`)).json
      .deliveries[0].log;
    expect(
      log.map((x: { statusCode: number | null; error: string | null }) => [x.statusCode, x.error]),
    ).toEqual([
      [null, 'the server stopped during this try'],
      [200, null],
    ]);
    // Once more from a third process: nothing is left to send.
    const third = await processOver(url, clock);
    expect(await third.worker.start()).toEqual({ requeued: 0 });
    await third.worker.settle();
    expect(receiver.received).toHaveLength(2);
  });

  it('with replicas, takes over a try only after its lease ran out, and ignores the late outcome of the first', async () => {
    const url = await databaseUrl();
    const clock = new FakeClock();
    const receiver = await startReceiver({
      plan: ({ n }) => (n === 1 ? 'hang' : 200),
      now: () => clock.now(),
    });
    cleanup.push(() => receiver.close());
    const first = await processOver(url, clock);
    await first.worker.start();
    await first.t.importExample();
    await setUp(first.t, receiver);
    await first.t.startedCandidate();
    await first.t.services.settle();
    first.worker.kick();
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1), { timeout: 10_000 });
    const [cut] = await deliveries(first.t);
    expect(cut).toMatchObject({ status: 'delivering', tries: 1 });

    // A second replica (not the only process on the database) leaves the live try alone...
    const second = await processOver(url, clock, '30', { exclusive: false });
    expect(await second.worker.start()).toEqual({ requeued: 0 });
    clock.advance(JOB_LEASE.ms - 1);
    expect(await second.worker.takeOver()).toBe(0);
    // ...until its lease has run out (the first process died and stopped renewing it).
    clock.advance(2);
    expect(await second.worker.takeOver()).toBe(1);
    await second.worker.settle();
    expect(receiver.received).toHaveLength(2);
    expect(await deliveries(second.t)).toMatchObject([{ status: 'succeeded', tries: 2 }]);

    // The first worker's try ends late with a failure: it neither moves the delivery nor logs a try.
    await recordTry(
      first.t.ctx,
      cut!,
      clock.now(),
      { ok: false, status: 500, durationMs: 1, excerpt: '', error: null },
      1000,
    );
    expect(await deliveries(second.t)).toMatchObject([{ status: 'succeeded', tries: 2 }]);
    const tries = await second.t.ctx.db.selectFrom('webhook_tries').select('error').execute();
    expect(tries).toHaveLength(2);
  });

  it('a graceful stop puts the try back without counting it; events from while it was down go out at start', async () => {
    const url = await databaseUrl();
    const clock = new FakeClock();
    const receiver = await startReceiver({
      plan: ({ n }) => (n === 1 ? 'hang' : 200),
      now: () => clock.now(),
    });
    cleanup.push(() => receiver.close());
    const first = await processOver(url, clock);
    await first.worker.start();
    await first.t.importExample();
    await setUp(first.t, receiver);
    const c = await first.t.startedCandidate();
    first.worker.kick();
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1), { timeout: 10_000 });
    first.worker.stop();
    await first.worker.settle();
    expect(await deliveries(first.t)).toMatchObject([{ status: 'pending', tries: 0 }]);
    // While no worker runs, the candidate submits: the timeline has it, the cursor has not moved.
    expect((await first.t.req(c.browser, 'POST', `/api/attempts/${c.attemptId}/submit`)).status).toBe(200);

    const second = await processOver(url, clock);
    expect(await second.worker.start()).toEqual({ requeued: 0 });
    await second.worker.settle();
    expect(
      receiver.received
        .slice(1)
        .map((r) => r.body.type)
        .sort(),
    ).toEqual(['attempt.started', 'attempt.submitted']);
    expect((await deliveries(second.t)).map((d) => [d.status, d.tries])).toEqual([
      ['succeeded', 1],
      ['succeeded', 1],
    ]);
  });

  it('moves the cursor over a hole in the ids only once it has stayed open, delivering past it meanwhile', async () => {
    const url = await databaseUrl();
    const clock = new FakeClock();
    const receiver = await startReceiver({ now: () => clock.now() });
    cleanup.push(() => receiver.close());
    const { t } = await processOver(url, clock);
    await t.importExample();
    await setUp(t, receiver);
    const c = await t.startedCandidate();
    let mono = 0;
    const tailer = new Tailer(t.ctx, () => mono);
    expect(await tailer.catchUp()).toBe(1); // attempt.started
    const cursor = async () =>
      Number(
        (
          await t.ctx.db
            .selectFrom('webhook_cursors')
            .select('last_id')
            .where('name', '=', 'attempt_events')
            .executeTakeFirstOrThrow()
        ).last_id,
      );
    const top = await cursor();
    // Id top+1 is still "in flight" (a transaction that has not committed); top+2 is visible.
    const event = (id: number, type: string) =>
      t.ctx.db
        .insertInto('attempt_events')
        .values({
          id,
          attempt_id: c.attemptId,
          at: clock.now(),
          type,
          payload_json: '{"reason":"candidate"}',
        } as never)
        .execute();
    await event(top + 2, 'attempt.submitted');
    expect(await tailer.catchUp()).toBe(1);
    expect(await cursor()).toBe(top);
    expect(await tailer.catchUp()).toBe(0); // not queued twice
    // The late transaction commits within the window: it is delivered and the cursor passes both.
    await event(top + 1, 'review.submitted');
    expect(await tailer.catchUp()).toBe(1);
    expect(await cursor()).toBe(top + 2);
    // A hole that never fills (a rolled-back insert) is passed after GAP_MS.
    await event(top + 4, 'decision.recorded');
    expect(await tailer.catchUp()).toBe(1);
    mono += GAP_MS - 1;
    await tailer.catchUp();
    expect(await cursor()).toBe(top + 2);
    mono += 2;
    await tailer.catchUp();
    expect(await cursor()).toBe(top + 4);
    const types = (await deliveries(t)).length;
    expect(types).toBe(4);
  });
});
