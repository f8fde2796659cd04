/**
 * The pipeline in real Chromium: an admin signs in and lands on /admin/candidates, sees candidates in
 * their stages and the banner for a submission nobody reviews, filters by stage (kept in the URL
 * across a reload), bulk-assigns a reviewer, and sees a candidate's submit (made through the API)
 * appear without reloading the page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  candidateApi,
  type CandidateApi,
  hasChromium,
  openBrowser,
  shot,
  startEnv,
  STAFF_PASSWORD,
  type Env,
} from './harness.ts';

const row = (page: Page, name: string) => page.getByTestId('pipeline-row').filter({ hasText: name });

describe.runIf(hasChromium())('pipeline in the browser', () => {
  let env: Env;
  let sam: CandidateApi['call'];
  let samAttempt: string;
  beforeAll(async () => {
    env = await startEnv(['tasks/hello-llm']);
    await env.addUser('admin', 'admin@example.com', 'Admin Person');
    await env.invite('hello-llm', 'ivy@example.com', 'Ivy Invited');
    // Sue submits before any reviewer exists: nobody is assigned to her submission.
    const sue = (await candidateApi(env, await env.invite('hello-llm', 'sue@example.com', 'Sue Submitted')))
      .call;
    const { attempt } = await sue('POST', '/api/candidate/start');
    await sue('POST', `/api/attempts/${attempt.id}/submit`);
    sam = (await candidateApi(env, await env.invite('hello-llm', 'sam@example.com', 'Sam Started'))).call;
    samAttempt = (await sam('POST', '/api/candidate/start')).attempt.id;
    await env.addUser('reviewer', 'rita@example.com', 'Rita Reviewer');
  }, 240_000); // six CLI runs and a server start on a shared machine
  afterAll(async () => {
    await env?.close();
  });

  it('lands the admin on the pipeline; filters survive a reload; bulk-assign; a submit shows without reload', async () => {
    const { page, close } = await openBrowser(env.server.url, { width: 1400, height: 1000 });
    try {
      await page.goto('/login');
      await page.getByLabel('Email').fill('admin@example.com');
      await page.getByLabel('Password').fill(STAFF_PASSWORD);
      await page.getByTestId('login-submit').click();
      await page.waitForURL(/\/admin\/candidates$/);
      await page.getByTestId('pipeline').waitFor();

      // Every candidate in their stage, times with a time zone, and the unassigned banner.
      await expect.poll(() => page.getByTestId('pipeline-row').count()).toBe(3);
      expect(await row(page, 'Ivy Invited').getAttribute('data-stage')).toBe('invited');
      expect(await row(page, 'Sam Started').getAttribute('data-stage')).toBe('started');
      // Submitted, and graded once the hidden tests ran (this machine may or may not have sandboxes).
      expect(await row(page, 'Sue Submitted').getAttribute('data-stage')).toMatch(/^(submitted|graded)$/);
      expect(await row(page, 'Sue Submitted').innerText()).toMatch(/no reviewer/);
      expect(await row(page, 'Sam Started').innerText()).toMatch(/\d\d:\d\d\s*(UTC|GMT|[A-Z]{2,5}|[+-]\d)/);
      expect(await page.getByTestId('unassigned-banner').innerText()).toMatch(/1 submission has no reviewer/);
      await shot(page, 'pipeline-01-landing');

      // Stage filter: in the URL, applied by the server, still there after a reload.
      await page.getByTestId('stage-started').click();
      await page.getByTestId('stage-submitted').click();
      await page.getByTestId('stage-graded').click();
      await page.waitForURL(/stage=started%2Csubmitted%2Cgraded/);
      await expect.poll(() => page.getByTestId('pipeline-row').count()).toBe(2);
      await page.reload();
      await page.getByTestId('pipeline').waitFor();
      await expect.poll(() => page.getByTestId('pipeline-row').count()).toBe(2);
      expect(await page.getByTestId('stage-started').getAttribute('aria-pressed')).toBe('true');
      expect(page.url()).toMatch(/stage=started%2Csubmitted%2Cgraded/);

      // Bulk-assign the reviewer to Sue (and, wrongly, to Sam, who has not submitted): each row reported.
      await row(page, 'Sue Submitted').getByRole('checkbox').check();
      await row(page, 'Sam Started').getByRole('checkbox').check();
      await page.getByTestId('bulk-reviewer').selectOption({ label: 'Rita Reviewer (reviewer)' });
      await page.getByTestId('bulk-assign').click();
      const results = page.getByTestId('bulk-results');
      await results.waitFor();
      expect(await results.locator('[data-ok=true]').innerText()).toContain(
        'Sue Submitted: assigned 1 reviewer(s)',
      );
      expect(await results.locator('[data-ok=false]').innerText()).toMatch(/Sam Started: not submitted yet/);
      await page.getByTestId('unassigned-banner').waitFor({ state: 'detached' });
      await shot(page, 'pipeline-02-bulk-assigned');

      // Sam submits through the API; the page shows it on its next poll, without a reload.
      await page.goto('/admin/candidates');
      await expect.poll(() => page.getByTestId('pipeline-row').count()).toBe(3);
      expect(await row(page, 'Sue Submitted').getAttribute('data-stage')).toBe('in review');
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
      await sam('POST', `/api/attempts/${samAttempt}/submit`);
      // Rita exists now, so the submission is assigned round robin: straight to "in review".
      await expect
        .poll(() => row(page, 'Sam Started').getAttribute('data-stage'), { timeout: 15_000 })
        .toBe('in review');
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
      await shot(page, 'pipeline-03-live');
    } finally {
      await close();
    }
  });
});
