/**
 * The Webhooks admin page in Chromium: an admin adds an endpoint (the secret is shown once, then only
 * its hint), sends a test event that the loopback receiver first refuses with a 500 and then accepts,
 * sees both status codes in the delivery log, and redelivers. A reviewer has no Webhooks link.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, openBrowser, signIn, startEnv, type Browsing, type Env } from './harness.ts';
import { startReceiver, type Receiver } from '../../server/testing/webhook-receiver.ts';

describe.runIf(hasChromium())('webhooks admin page', () => {
  let env: Env;
  let receiver: Receiver;
  let b: Browsing | undefined;
  beforeAll(async () => {
    env = await startEnv([], { WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_RETRY_BASE_SECONDS: '0.3' });
    await env.addUser('admin', 'admin@example.com');
    await env.addUser('reviewer', 'reviewer@example.com');
    receiver = await startReceiver({ plan: ({ n }) => (n === 1 ? 500 : 200) });
  }, 90_000);
  afterAll(async () => {
    await b?.close();
    await receiver?.close();
    await env?.close();
  });

  it('adds an endpoint, shows its secret once, sends a test event and shows the log', async () => {
    b = await openBrowser(env.server.url);
    const { page } = b;
    await signIn(page, 'admin@example.com');
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByTestId('webhook-url').fill(receiver.url);
    await page.getByTestId('webhook-save').click();
    const secret = (await page.getByTestId('webhook-secret').locator('code').textContent())!.trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    receiver.setSecret(secret);
    await expect.poll(() => page.getByTestId('webhooks').textContent()).toContain(receiver.url);

    await page.getByTestId('webhook-test').click();
    const delivery = page.getByTestId('webhook-delivery');
    // The log refreshes itself while the delivery is pending: 500, then 200 on the retry.
    await expect
      .poll(() => delivery.getByTestId('webhook-code').allTextContents(), { timeout: 20_000 })
      .toEqual(['500', '200']);
    await expect.poll(() => delivery.locator('.pill').textContent()).toBe('succeeded');
    expect(receiver.received.map((r) => [r.body.type, r.verified])).toEqual([
      ['webhook.test', true],
      ['webhook.test', true],
    ]);

    await delivery.getByRole('button', { name: 'Redeliver' }).click();
    await expect.poll(() => receiver.received.length, { timeout: 20_000 }).toBe(3);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect
      .poll(() => delivery.getByTestId('webhook-code').allTextContents(), { timeout: 20_000 })
      .toEqual(['500', '200', '200']);

    // Reloaded: the secret is nowhere on the page, only its hint.
    await page.reload();
    await page.getByTestId('webhooks').waitFor();
    expect(await page.content()).not.toContain(secret);
    expect(await page.getByTestId('webhooks').textContent()).toContain(`whsec_…${secret.slice(-4)}`);
  });

  it('gives reviewers no Webhooks page', async () => {
    const r = await openBrowser(env.server.url);
    try {
      await signIn(r.page, 'reviewer@example.com');
      expect(await r.page.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
      await r.page.goto('/admin/webhooks');
      await expect.poll(() => r.page.locator('.error').textContent()).toMatch(/admin role/);
    } finally {
      await r.close();
    }
  });
});
