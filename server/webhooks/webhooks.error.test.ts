/**
 * Webhook failures: a receiver that answers 500, then hangs past the timeout, then 200 gets three
 * tries spaced by the backoff, each in the log; a delivery out of tries fails and, after enough of
 * those in a row, the endpoint is disabled; redirects and refused connections are failed tries;
 * malformed endpoint input is refused.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { webhookFixture } from '../testing/webhooks.ts';
import { retryDelayMs, WebhookWorker } from './index.ts';

describe('webhooks (errors)', () => {
  let f: Awaited<ReturnType<typeof webhookFixture>>;
  afterEach(() => f?.close());

  it('retries a failing receiver with backoff until it answers 2xx, logging every try', async () => {
    f = await webhookFixture({
      plan: ({ n }) => (n === 1 ? 500 : n === 2 ? 'hang' : 200),
      env: { WEBHOOK_TIMEOUT_SECONDS: '2' },
    });
    const { t, receiver } = f;
    const policy = { baseMs: 10_000, maxMs: 6 * 3600_000 };
    await t.req(f.admin, 'POST', `/api/webhooks/${f.endpoint.id}/test`);
    await f.flush();
    let [d] = await f.deliveries();
    expect(d).toMatchObject({ status: 'pending', tries: 1, lastStatus: 500 });
    expect(d.nextAttemptAt - t.clock.now()).toBe(retryDelayMs(1, policy, () => 0.5)); // 7.5 s

    // Not due yet: nothing is sent however often the worker looks.
    t.clock.advance(7_000);
    await f.flush();
    expect(receiver.received).toHaveLength(1);

    t.clock.advance(500);
    await f.flush(); // the receiver hangs: the try ends at the 2 s timeout
    [d] = await f.deliveries();
    expect(d).toMatchObject({ status: 'pending', tries: 2, lastStatus: null });
    expect(d.lastError).toMatch(/no answer within 2000 ms/);
    expect(d.nextAttemptAt - t.clock.now()).toBe(retryDelayMs(2, policy, () => 0.5)); // 30 s

    t.clock.advance(30_000);
    await f.flush();
    [d] = await f.deliveries();
    expect(d).toMatchObject({ status: 'succeeded', tries: 3, lastStatus: 200, lastError: null });
    expect(d.log.map((x: { statusCode: number | null }) => x.statusCode)).toEqual([500, null, 200]);
    expect(d.log[0].responseExcerpt).toBe('failure 500 injected by the test');
    expect(receiver.received).toHaveLength(3);
    // Every try is the same delivery of the same event, freshly signed.
    expect(new Set(receiver.received.map((r) => r.headers['x-worksample-delivery'])).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.raw)).size).toBe(1);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
  });

  it('fails a delivery after the last try, and disables the endpoint after enough failures in a row', async () => {
    f = await webhookFixture({
      plan: () => 503,
      env: { WEBHOOK_MAX_TRIES: '2', WEBHOOK_DISABLE_AFTER: '2' },
    });
    const { t } = f;
    for (let i = 0; i < 2; i++) {
      await t.req(f.admin, 'POST', `/api/webhooks/${f.endpoint.id}/test`);
      await f.flush();
      t.clock.advance(60_000);
      await f.flush();
    }
    const ds = await f.deliveries();
    expect(ds.map((d) => d.status)).toEqual(['failed', 'failed']);
    expect(ds[0].log).toHaveLength(2);
    const ep = (await t.req(f.admin, 'GET', `/api/webhooks/${f.endpoint.id}`)).json.endpoint;
    expect(ep).toMatchObject({ enabled: false, consecutiveFailures: 2 });
    expect(ep.disabledReason).toMatch(/2 deliveries in a row failed/);
    expect((await t.req(f.admin, 'POST', `/api/webhooks/${f.endpoint.id}/test`)).status).toBe(409);

    // Enabled again by an admin: the count starts over, and a redelivery goes out.
    f.receiver.setPlan(() => 204);
    const on = await t.req(f.admin, 'PATCH', `/api/webhooks/${f.endpoint.id}`, { enabled: true });
    expect(on.json.endpoint).toMatchObject({ enabled: true, consecutiveFailures: 0, disabledReason: null });
    expect((await t.req(f.admin, 'POST', `/api/webhooks/deliveries/${ds[0].id}/redeliver`)).status).toBe(202);
    await f.flush();
    expect((await f.deliveries())[0]).toMatchObject({ status: 'succeeded', lastStatus: 204 });
  });

  it('counts a redirect and a refused connection as failed tries', async () => {
    f = await webhookFixture({ plan: () => 302 });
    const { t } = f;
    await t.req(f.admin, 'POST', `/api/webhooks/${f.endpoint.id}/test`);
    await f.flush();
    expect((await f.deliveries())[0]).toMatchObject({ status: 'pending', lastStatus: 302 });
    await f.receiver.close();
    t.clock.advance(10_000);
    await f.flush();
    const [d] = await f.deliveries();
    expect(d).toMatchObject({ status: 'pending', lastStatus: null });
    expect(d.lastError).toMatch(/ECONNREFUSED/);
  });

  it('refuses malformed endpoints and impossible moves', async () => {
    f = await webhookFixture();
    const { t } = f;
    const bad = [
      { url: 'ftp://example.com/hook', events: ['attempt.started'] },
      { url: 'not a url', events: ['attempt.started'] },
      { url: 'https://example.com/hook', events: [] },
      { url: 'https://example.com/hook', events: ['attempt.deleted'] },
    ];
    for (const body of bad) {
      const r = await t.req(f.admin, 'POST', '/api/webhooks', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await t.req(f.admin, 'GET', '/api/webhooks/whe_missing')).status).toBe(404);
    expect((await t.req(f.admin, 'POST', '/api/webhooks/deliveries/whd_missing/redeliver')).status).toBe(404);
    f.receiver.setPlan(() => 'hang');
    const sent = await t.req(f.admin, 'POST', `/api/webhooks/${f.endpoint.id}/test`);
    const again = await t.req(f.admin, 'POST', `/api/webhooks/deliveries/${sent.json.delivery.id}/redeliver`);
    expect(again.status).toBe(409);
  });
});

describe('retryDelayMs', () => {
  const policy = { baseMs: 10_000, maxMs: 6 * 3600_000 };
  it('grows ×4 from 10 s to a 6 h ceiling, within the upper half of each step', () => {
    const top = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelayMs(n, policy, () => 1));
    expect(top).toEqual([10_000, 40_000, 160_000, 640_000, 2_560_000, 10_240_000, 21_600_000, 21_600_000]);
    const low = [1, 2, 3].map((n) => retryDelayMs(n, policy, () => 0));
    expect(low).toEqual([5_000, 20_000, 80_000]);
  });
});

describe('webhooks under load', () => {
  let f: Awaited<ReturnType<typeof webhookFixture>>;
  afterEach(() => f?.close());

  it('sends at most four at once and does not spin while every slot waits on a slow receiver', async () => {
    f = await webhookFixture({ plan: () => 'hang', env: { WEBHOOK_TIMEOUT_SECONDS: '1' } });
    const { t, receiver } = f;
    for (let i = 0; i < 6; i++) await t.req(f.admin, 'POST', `/api/webhooks/${f.endpoint.id}/test`);
    let queries = 0;
    const counting = t.ctx.db.withPlugin({
      transformQuery: (a) => {
        queries++;
        return a.node;
      },
      transformResult: async (a) => a.result,
    });
    const worker = new WebhookWorker({ ctx: { ...t.ctx, db: counting }, pollMs: 3_600_000 });
    await worker.start();
    await vi.waitFor(() => expect(receiver.received).toHaveLength(4), { timeout: 5_000 });
    const before = queries;
    await new Promise((r) => setTimeout(r, 300)); // the tries are still hanging
    expect(receiver.received).toHaveLength(4);
    expect(queries - before).toBeLessThan(5);
    worker.stop();
    await worker.settle();
  });
});
