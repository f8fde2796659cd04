/**
 * Email on the invitations page in real Chromium: with SMTP_URL the admin's invitation arrives at a
 * real SMTP server on loopback, its link opens the candidate's landing page, and the row's delivery
 * log says it was sent. Without SMTP_URL every page that shows links says they must be copied.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, openBrowser, shot, signIn, startEnv, type Browsing, type Env } from './harness.ts';
import { startSmtp, type TestSmtp } from '../helpers/smtp.ts';

async function inviteAda(b: Browsing) {
  const a = b.page;
  await a.getByRole('link', { name: 'Invitations' }).click();
  await a.getByTestId('inv-name').fill('Ada Lovelace');
  await a.getByTestId('inv-email').fill('ada@example.com');
  await a.getByTestId('inv-create').click();
  await a.getByTestId('new-links').waitFor();
}

describe.runIf(hasChromium())('invitation email in the browser', () => {
  let smtp: TestSmtp;
  let env: Env;
  let admin: Browsing;
  let candidate: Browsing;
  beforeAll(async () => {
    smtp = await startSmtp();
    env = await startEnv(['tasks/hello-llm'], { SMTP_URL: smtp.url });
    await env.addUser('admin', 'root@example.com');
    admin = await openBrowser(env.server.url);
    candidate = await openBrowser(env.server.url);
  }, 180_000);
  afterAll(async () => {
    await admin?.close();
    await candidate?.close();
    await env?.close();
    await smtp?.close();
  });

  it('emails the invitation; the link opens the landing page; the delivery log says sent', async () => {
    await signIn(admin.page, 'root@example.com');
    const a = admin.page;
    await a.getByRole('link', { name: 'Invitations' }).click();
    await expect.poll(() => a.getByTestId('inv-send-email').isChecked()).toBe(true);
    expect(await a.getByTestId('email-off').count()).toBe(0);
    await inviteAda(admin);
    await expect.poll(() => a.getByTestId('new-links').textContent()).toMatch(/Emailed the link/);
    const [m] = await smtp.waitFor(1);
    expect(m!.to).toEqual(['ada@example.com']);
    expect(m!.subject).toBe('Your work sample: Parse JSON from a model reply');
    const link = /(http\S+\/i\/\S+)/.exec(m!.text)![1]!;
    expect(await a.getByTestId('new-links').textContent()).toContain(link);

    await candidate.page.goto(link);
    await candidate.page.getByTestId('landing').waitFor();
    expect(await candidate.page.getByTestId('landing').textContent()).toContain(
      'Parse JSON from a model reply',
    );
    expect(await candidate.page.getByTestId('time-limit').textContent()).toBe('15 minutes');

    await a.reload();
    await a.getByLabel('Emails to Ada Lovelace (ada@example.com)').click();
    await expect
      .poll(() => a.getByTestId('delivery-log').textContent())
      .toMatch(/Invitation to ada@example.com: sent/);
    await shot(a, 'invitation-emailed');
  }, 240_000);
});

describe.runIf(hasChromium())('no SMTP_URL in the browser', () => {
  let env: Env;
  let admin: Browsing;
  beforeAll(async () => {
    env = await startEnv(['tasks/hello-llm']);
    await env.addUser('admin', 'root@example.com');
    admin = await openBrowser(env.server.url);
  }, 180_000);
  afterAll(async () => {
    await admin?.close();
    await env?.close();
  });

  it('says links must be copied on the invitations, staff and forgot-password pages', async () => {
    const a = admin.page;
    await signIn(a, 'root@example.com');
    await a.getByRole('link', { name: 'Invitations' }).click();
    await expect
      .poll(() => a.getByTestId('email-off').textContent())
      .toMatch(/Email is not set up.*copy the invitation links/);
    await expect.poll(() => a.getByTestId('inv-send-email').isDisabled()).toBe(true);
    expect(await a.getByTestId('inv-send-email').isChecked()).toBe(false);
    await inviteAda(admin);
    await expect.poll(() => a.getByTestId('new-links').textContent()).toMatch(/Copy this link now/);
    await shot(a, 'invitation-no-smtp');

    await a.getByRole('link', { name: 'Staff' }).click();
    await expect.poll(() => a.getByTestId('email-off').textContent()).toMatch(/copy the set-password links/);
    await a.getByLabel('Email', { exact: true }).fill('rita@example.com');
    await a.getByTestId('staff-invite-submit').click();
    await expect
      .poll(() => a.getByTestId('staff-link').textContent())
      .toMatch(/\/login\/set-password#token=/);

    await a.getByTestId('sign-out').click();
    await a.goto('/login/forgot');
    await a.getByLabel('Email').fill('root@example.com');
    await a.getByTestId('forgot-submit').click();
    await expect.poll(() => a.getByTestId('forgot-answer').textContent()).toMatch(/cannot send email/);
  }, 240_000);
});
