/**
 * Staff accounts in real Chromium with a real SMTP server on loopback: the admin invites a reviewer
 * by email, the message arrives, its link opens the set-password page, the reviewer signs in; the
 * admin deactivates them and the reviewer's open session ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, openBrowser, shot, signIn, startEnv, type Browsing, type Env } from './harness.ts';
import { startSmtp, type TestSmtp } from '../helpers/smtp.ts';

const RITA_PW = 'ritas own long passphrase';

describe.runIf(hasChromium())('staff accounts in the browser', () => {
  let smtp: TestSmtp;
  let env: Env;
  let admin: Browsing;
  let rita: Browsing;
  beforeAll(async () => {
    smtp = await startSmtp();
    env = await startEnv(['tasks/hello-llm'], { SMTP_URL: smtp.url, DEADLINE_SWEEP_SECONDS: '1' });
    await env.addUser('admin', 'root@example.com', 'Root Admin');
    admin = await openBrowser(env.server.url);
    rita = await openBrowser(env.server.url);
  }, 180_000);
  afterAll(async () => {
    await admin?.close();
    await rita?.close();
    await env?.close();
    await smtp?.close();
  });

  it('invites a reviewer by email, who sets a password from the link and signs in; deactivation ends their session', async () => {
    const a = admin.page;
    await signIn(a, 'root@example.com');
    await a.getByRole('link', { name: 'Staff' }).click();
    await a.getByTestId('staff-invite').waitFor();
    await a.getByLabel('Email', { exact: true }).fill('rita@example.com');
    await a.getByLabel('Name (optional)').fill('Rita Reviewer');
    await a.getByLabel('Role', { exact: true }).selectOption('reviewer');
    await a.getByTestId('staff-invite-submit').click();
    await expect
      .poll(() => a.getByTestId('staff-msg').textContent())
      .toMatch(/Emailed a set-password link to rita@example.com/);
    await expect.poll(() => a.getByTestId('staff-rita@example.com').textContent()).toMatch(/invited/);
    expect(await a.getByTestId('email-off').count()).toBe(0);

    const [m] = await smtp.waitFor(1);
    expect(m!.to).toEqual(['rita@example.com']);
    expect(m!.subject).toBe('You are invited to worksample as reviewer');
    const link = /(http\S+\/login\/set-password#token=\S+)/.exec(m!.text)![1]!;
    expect(link.startsWith(env.server.url.replace(/\/$/, ''))).toBe(true);

    const r = rita.page;
    await r.goto(link);
    await expect
      .poll(() => r.getByTestId('password-for').textContent())
      .toContain('Rita Reviewer <rita@example.com>');
    await r.getByLabel('New password').fill(RITA_PW);
    await r.getByLabel('Repeat it').fill(RITA_PW);
    await shot(r, 'staff-set-password');
    await r.getByTestId('set-password-submit').click();
    await r.getByTestId('password-set').waitFor();
    expect(r.url()).not.toContain('token='); // the spent token leaves the address bar
    await r.getByRole('link', { name: 'Sign in' }).click();
    await r.getByLabel('Email').fill('rita@example.com');
    await r.getByLabel('Password').fill(RITA_PW);
    await r.getByTestId('login-submit').click();
    await expect.poll(() => r.getByTestId('signed-in').textContent()).toMatch(/Rita Reviewer · reviewer/);
    expect((await r.request.get('/api/reviews/queue')).status()).toBe(200);

    await a.reload();
    await expect.poll(() => a.getByTestId('staff-rita@example.com').textContent()).toMatch(/active/);
    a.once('dialog', (d) => void d.accept());
    await a.getByTestId('staff-rita@example.com').getByTestId('deactivate').click();
    await expect
      .poll(() => a.getByTestId('staff-msg').textContent())
      .toMatch(/deactivated; their sessions ended/);
    await shot(a, 'staff-deactivated');

    // Rita's open page: the session cookie is refused now, and the app sends her to sign-in.
    expect((await r.request.get('/api/reviews/queue')).status()).toBe(401);
    await r.reload();
    await r.getByTestId('login-form').waitFor();
    await r.getByLabel('Email').fill('rita@example.com');
    await r.getByLabel('Password').fill(RITA_PW);
    await r.getByTestId('login-submit').click();
    await expect.poll(() => r.getByTestId('login-error').textContent()).toMatch(/wrong email or password/);
  }, 240_000);

  it('offers "Forgot password" on the sign-in page and emails a reset link', async () => {
    const p = rita.page;
    const before = smtp.messages.length;
    await p.goto('/login');
    await p.getByTestId('forgot-link').click();
    await p.getByLabel('Email').fill('root@example.com');
    await p.getByTestId('forgot-submit').click();
    await expect.poll(() => p.getByTestId('forgot-answer').textContent()).toMatch(/If an account exists/);
    const got = await smtp.waitFor(before + 1);
    expect(got[before]!.to).toEqual(['root@example.com']);
    expect(got[before]!.subject).toBe('Reset your worksample password');
  }, 120_000);
});
