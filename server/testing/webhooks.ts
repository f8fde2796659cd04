/**
 * Webhook test fixture: a test app whose webhook worker has pinned jitter, a receiver on loopback
 * (./webhook-receiver.ts) that verifies signatures with the fake clock, an admin, and an
 * endpoint subscribed to every event pointing at the receiver.
 */
import { WebhookWorker, WEBHOOK_EVENTS } from '../webhooks/index.ts';
import { startReceiver, type Plan } from './webhook-receiver.ts';
import { makeTestApp } from './index.ts';

export async function webhookFixture(
  opts: { env?: Record<string, string>; plan?: Plan; events?: string[] } & Parameters<
    typeof makeTestApp
  >[0] = {},
) {
  const t = await makeTestApp({
    ...opts,
    // A try that is answered must never time out, however busy the machine (a 0.5 s default made
    // answered tries fail now and then with two test files at once); a test of a hanging receiver
    // sets its own, shorter timeout.
    env: { WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_TIMEOUT_SECONDS: '10', ...opts.env },
  });
  const receiver = await startReceiver({ plan: opts.plan, now: () => t.clock.now() });
  // Its own worker (the app's stays unstarted): jitter pinned to the middle, no timer-driven pumps.
  const worker = new WebhookWorker({ ctx: t.ctx, random: () => 0.5, pollMs: 3_600_000 });
  await worker.start();
  const admin = await t.staff('admin');
  const created = await t.req(admin, 'POST', '/api/webhooks', {
    url: receiver.url,
    description: 'the test receiver',
    events: opts.events ?? [...WEBHOOK_EVENTS],
  });
  if (created.status !== 201) throw new Error(`endpoint not created: ${created.text}`);
  receiver.setSecret(created.json.secret);
  return {
    t,
    receiver,
    worker,
    admin,
    endpoint: created.json.endpoint as { id: string },
    secret: created.json.secret as string,
    /** Lets the worker tail and send everything due now. */
    async flush() {
      await t.services.settle();
      worker.kick();
      await worker.settle();
    },
    async deliveries() {
      const r = await t.req(admin, 'GET', `/api/webhooks/${created.json.endpoint.id}/deliveries`);
      return r.json.deliveries as Array<any>;
    },
    async close() {
      worker.stop();
      await worker.settle();
      await receiver.close();
      await t.close();
    },
  };
}
