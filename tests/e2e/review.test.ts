/**
 * Blind review in real Chromium: a candidate submits (through the API), two reviewers grade it from
 * their queues with different levels, each seeing the others only after submitting; the admin sees
 * the disagreement, records the decision, sees the identity, and the CSV export holds the row. Then
 * the admin verifies the task in sandboxes from its page and assigns a third reviewer by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { candidateApi, hasChromium, openBrowser, shot, startEnv, type Env, signIn } from './harness.ts';

const FILE = 'parse-model-json.mjs';

/** Invites a candidate, opens the link, starts, edits a file and submits — as the candidate's browser would. */
async function submitAttempt(env: Env): Promise<string> {
  const { call } = await candidateApi(env, await env.invite('hello-llm', 'ada@example.com'));
  const { attempt } = await call('POST', '/api/candidate/start');
  const file = await call('GET', `/api/attempts/${attempt.id}/file?path=${FILE}`);
  await call('PUT', `/api/attempts/${attempt.id}/file`, {
    path: FILE,
    content: String(file.content).replace(
      "return { ok: false, error: 'not implemented' };",
      'return { ok: true, value: JSON.parse(text) }; // candidate-edit',
    ),
  });
  await call('POST', `/api/attempts/${attempt.id}/submit`);
  return attempt.id as string;
}

/** Fills the rubric: levels per criterion, evidence for each, and the recommendation. */
async function grade(page: Page, levels: Record<string, number>, recommendation: number) {
  for (const [criterion, level] of Object.entries(levels)) {
    await page.getByTestId(`level-${criterion}-${level}`).check();
    await page.getByTestId(`evidence-${criterion}`).fill(`Level ${level}: see ${FILE}, the JSON.parse line.`);
    // Only correctness evidence is marked for the candidate's feedback report.
    if (criterion === 'correctness') await page.getByTestId(`share-${criterion}`).check();
  }
  await page.getByTestId(`rec-${recommendation}`).check();
}

describe.runIf(hasChromium())('blind review in the browser', () => {
  let env: Env;
  let attemptId: string;
  beforeAll(async () => {
    env = await startEnv(['tasks/hello-llm']);
    for (const [email, role, name] of [
      ['rev1@example.com', 'reviewer', 'Grace Reviewer'],
      ['rev2@example.com', 'reviewer', 'Alan Reviewer'],
      ['admin@example.com', 'admin', 'Admin Person'],
    ] as const) {
      await env.addUser(role, email, name);
    }
    attemptId = await submitAttempt(env);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('two reviewers grade independently, the admin decides, and the export has the row', async () => {
    // Reviewer 1: queue → submission → evidence → rubric → submit with confirmation.
    const one = await openBrowser(env.server.url, { width: 1400, height: 1000 });
    let codeName: string;
    try {
      const { page } = one;
      await signIn(page, 'rev1@example.com');
      const row = page.locator(`[data-testid=queue-row][data-attempt="${attemptId}"]`);
      await row.waitFor();
      expect(await row.innerText()).toContain('Parse JSON from a model reply');
      expect(await row.innerText()).toContain('to do');
      expect(await page.locator('body').innerText()).not.toContain('Ada');
      await row.getByTestId('queue-open').click();
      codeName = await page.getByTestId('code-name').innerText();
      expect(codeName).toMatch(/^C-[0-9A-F]{4}$/);
      expect(await page.getByTestId('identity-note').innerText()).toContain('self-identifying');

      // The diff against the starter shows the candidate's line.
      await page.getByRole('button', { name: FILE }).click();
      await page.locator('.d-add', { hasText: 'candidate-edit' }).waitFor();
      expect(await page.locator('.d-del').first().innerText()).toContain('not implemented');

      // Replay: the last moment is after submit; the first shows the starter file.
      await page.getByTestId('tab-replay').click();
      await page.getByTestId('replay-range').waitFor();
      expect(await page.getByTestId('replay-moment').innerText()).toMatch(/Submitted|Graded/);
      await page.getByTestId('replay-range').focus();
      await page.keyboard.press('Home');
      await page.getByTestId('replay-moment').filter({ hasText: 'Started' }).waitFor();
      await page.getByRole('button', { name: FILE }).click();
      expect(await page.getByTestId('replay-file').innerText()).toContain('not implemented');
      await page.keyboard.press('Tab'); // focus leaves the list; End on the slider again
      await page.getByTestId('replay-range').focus();
      await page.keyboard.press('End');
      await page.getByTestId('replay-file').filter({ hasText: 'candidate-edit' }).waitFor();

      // Others' reviews stay hidden before submitting.
      expect(await page.getByTestId('consolidation').count()).toBe(0);
      await page.getByTestId('submit-review').click();
      expect(await page.getByTestId('problems').innerText()).toContain('pick a level');

      await grade(page, { correctness: 4, 'error-handling': 3, clarity: 3 }, 4);
      await page.getByTestId('notes').fill('Private: solid.');
      await page.getByTestId('save-draft').click();
      await page.getByTestId('form-msg').filter({ hasText: 'Draft saved' }).waitFor();
      // Back on Files, the changed file opens first, diffed against its starter.
      await page.getByTestId('tab-files').click();
      await page.locator('.d-add', { hasText: 'candidate-edit' }).waitFor();
      await shot(page, 'review-01-form');

      await page.getByTestId('submit-review').click();
      await page.getByTestId('confirm-dialog').waitFor();
      await page.getByTestId('confirm-review').click();
      await page.getByTestId('my-review').waitFor();
      await page.getByTestId('consolidation').waitFor();
      expect(await page.getByTestId('consolidation').innerText()).toContain('1 of 2');
      await page.goto('/review');
      await page.locator('[data-testid=queue-row] .pill', { hasText: 'submitted' }).waitFor();
    } finally {
      await one.close();
    }

    // Reviewer 2 disagrees on correctness by 3 levels.
    const two = await openBrowser(env.server.url, { width: 1400, height: 1000 });
    try {
      const { page } = two;
      await signIn(page, 'rev2@example.com');
      await page
        .locator(`[data-testid=queue-row][data-attempt="${attemptId}"] [data-testid=queue-open]`)
        .click();
      await page.getByTestId('rubric-form').waitFor();
      await grade(page, { correctness: 1, 'error-handling': 3, clarity: 2 }, 1);
      await page.getByTestId('submit-review').click();
      await page.getByTestId('confirm-review').click();
      await page.getByTestId('consolidation').waitFor();
      // Private notes of another reviewer are not shown to a reviewer.
      expect(await page.getByTestId('consolidation').innerText()).not.toContain('Private: solid.');
      expect(await page.locator('[data-testid=cons-correctness]').getAttribute('data-flagged')).toBe('true');
    } finally {
      await two.close();
    }

    // Admin: consolidation with the disagreement highlighted, decision, identity, agreement, export.
    const admin = await openBrowser(env.server.url, { width: 1400, height: 1000 });
    try {
      const { page } = admin;
      await signIn(page, 'admin@example.com');
      await page.goto(`/review/${attemptId}`);
      await page.getByTestId('consolidation').waitFor();
      const flagged = page.locator('[data-testid=cons-correctness]');
      expect(await flagged.getAttribute('data-flagged')).toBe('true');
      expect(await flagged.innerText()).toContain('Disagreement (spread 3)');
      expect(await page.locator('[data-testid=cons-error-handling]').getAttribute('data-flagged')).toBe(
        'false',
      );
      expect(await page.getByTestId('consolidation').innerText()).toContain('Private: solid.');
      expect(await page.getByTestId('decision-form').innerText()).not.toContain('Ada');
      await page.getByTestId('consolidation').scrollIntoViewIfNeeded();
      await shot(page, 'review-02-consolidation');

      await page.getByTestId('decision-reject').check();
      await page
        .getByTestId('decision-reason')
        .fill('Correctness evidence split; the parser ignores fences.');
      await page.getByTestId('decision-submit').click();
      await page.getByTestId('identity').waitFor();
      expect(await page.getByTestId('identity').innerText()).toContain('Ada Lovelace');
      await page.getByTestId('decision-done').waitFor();
      await page.getByTestId('identity').scrollIntoViewIfNeeded();
      await page.getByTestId('feedback').click();
      const report = await page.getByTestId('feedback-md').inputValue();
      expect(report).toMatch(/## Correctness — level \d of 4/);
      expect(report).toContain('the JSON.parse line');
      expect(report).not.toMatch(/Reviewer|Ada/);
      await shot(page, 'review-03-decided');

      await page.goto('/admin');
      await page.getByTestId('task-hello-llm').click();
      await page.getByTestId('agreement-plot').waitFor();
      expect(await page.getByTestId('agreement-summary').innerText()).toContain(
        '1 submissions, 2 submitted reviews',
      );
      expect(await page.getByTestId('calibration-plot').innerText()).toContain('Grace Reviewer');
      expect(await page.getByTestId('funnel').innerText()).toMatch(/decided\s*1/);
      await shot(page, 'review-04-admin-agreement');

      const csv = await (await page.request.get('/api/export?format=csv')).text();
      const line = csv.split('\n').find((l) => l.startsWith(codeName + ','));
      expect(line).toBeDefined();
      expect(line).toContain('Ada Lovelace');
      expect(line).toContain('reject');
      expect(line).toContain('Correctness evidence split');
    } finally {
      await admin.close();
    }
  });

  it('the admin verifies the task in sandboxes and adds a third reviewer, who then has it queued', async () => {
    await env.addUser('reviewer', 'rev3@example.com', 'Barbara Reviewer');

    const admin = await openBrowser(env.server.url, { width: 1400, height: 1000 });
    try {
      const { page } = admin;
      await signIn(page, 'admin@example.com');
      await page.goto('/admin/tasks/hello-llm');
      const run = page.getByTestId('verify-run');
      await run.filter({ hasText: 'Verify this task (v1)' }).waitFor();
      await run.click();
      // Busy while the server grades solution, starter and wrong solutions (seconds, not instant).
      await page.locator('[data-testid=verify][aria-busy=true]').waitFor();
      expect(await run.isDisabled()).toBe(true);
      expect(await page.getByTestId('verify-status').innerText()).toContain(
        'Grading the reference solution, the starter, each wrong solution and the tamper corpus in sandboxes',
      );

      // A second tab asking meanwhile gets the server's 409, worded for the author.
      const other = await admin.context.newPage();
      await other.goto('/admin/tasks/hello-llm');
      await other.getByTestId('verify-run').click();
      expect(await other.getByTestId('verify-error').innerText()).toContain(
        'Another verification is already running',
      );
      expect(await other.getByTestId('verify-checks').count()).toBe(0);
      await other.close();

      const solution = page.locator('[data-testid=verify-check][data-check="solution passes"]');
      await solution.waitFor({ timeout: 60_000 });
      expect(await solution.getAttribute('data-ok')).toBe('true');
      expect(await solution.innerText()).toMatch(/^solution passes\s+ok\s+\d+ passed, 0 failed/);
      const starter = page.locator('[data-testid=verify-check][data-check="starter fails"]');
      expect(await starter.getAttribute('data-ok')).toBe('true');
      // Rows come grouped; this server runs the local driver, where the tamper corpus refuses to run
      // (it attacks the machine it runs on) and says so in its own row.
      expect(
        await page.getByTestId('verify-group').evaluateAll((els) => els.map((e) => e.dataset.group)),
      ).toEqual(['static', 'visible', 'starter', 'hidden', 'tamper']);
      const tamper = page.locator('[data-testid=verify-check][data-group=tamper]');
      expect(await tamper.getAttribute('data-ok')).toBe('false');
      expect(await tamper.innerText()).toMatch(
        /^tamper corpus\s+FAIL\s+not run: the local sandbox driver gives no isolation/,
      );
      const files = page.locator('[data-testid=verify-check][data-check="task files"]');
      expect(await files.getAttribute('data-ok')).toBe('true');
      expect(await page.locator('[data-testid=verify][aria-busy=true]').count()).toBe(0);
      expect(await run.isEnabled()).toBe(true);
      await page.getByTestId('verify-checks').scrollIntoViewIfNeeded();
      await shot(page, 'review-05-verify');

      // Add Barbara by hand with a 5-day due date; auto-assign then adds nobody (the quota is 2).
      await page.goto(`/review/${attemptId}`);
      const progress = page.getByTestId('reviewers-progress');
      await progress.filter({ hasText: '2 assigned' }).waitFor();
      await page
        .getByTestId('assign-reviewer')
        .selectOption({ label: 'Barbara Reviewer (rev3@example.com)' });
      await page.getByTestId('assign-days').fill('5');
      await page.getByTestId('assign-submit').click();
      await page.getByTestId('assign-msg').filter({ hasText: 'Assigned Barbara Reviewer.' }).waitFor();
      await progress.filter({ hasText: '3 assigned' }).waitFor();
      await page.getByTestId('assign-auto').click();
      await page.getByTestId('assign-msg').filter({ hasText: 'Nobody added' }).waitFor();
      expect(await progress.innerText()).toContain('3 assigned');
      await page.getByTestId('reviewers').scrollIntoViewIfNeeded();
      await shot(page, 'review-06-reviewers');
    } finally {
      await admin.close();
    }

    const three = await openBrowser(env.server.url, { width: 1400, height: 1000 });
    try {
      const { page } = three;
      await signIn(page, 'rev3@example.com');
      const row = page.locator(`[data-testid=queue-row][data-attempt="${attemptId}"]`);
      await row.waitFor();
      expect(await row.innerText()).toContain('to do');
      const { items } = (await (await page.request.get('/api/reviews/queue')).json()) as {
        items: { attemptId: string; dueAt: number; assignedAt: number }[];
      };
      const mine = items.find((i) => i.attemptId === attemptId)!;
      expect(mine.dueAt - mine.assignedAt).toBe(5 * 86_400_000);
    } finally {
      await three.close();
    }
  });
});
