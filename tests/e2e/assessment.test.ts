/**
 * A hiring round on a two-task assessment in real Chromium (issue #14, "Done when"): the admin invites
 * three candidates by CSV; the invitations arrive at a real SMTP server on loopback and their links
 * work; Ada does the assessment in the browser (intro, overview, both tasks, per-task submit, Submit
 * all), Bob through the API, and Cy lets the overall clock run out in the browser; the admin's pipeline
 * (left open) shows each stage change without a reload; the admin bulk-assigns a reviewer; reviewers
 * grade per task; the admin decides on Ada's summary page and the feedback email arrives.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type Page } from 'playwright-core';
import {
  candidateApi,
  hasChromium,
  openBrowser,
  saved,
  shot,
  signIn,
  startEnv,
  STAFF_PASSWORD,
  typeInEditor,
  type Browsing,
  type Env,
} from './harness.ts';
import { runCli } from '../helpers/process.ts';
import { startSmtp, type ReceivedMail, type TestSmtp } from '../helpers/smtp.ts';

const CODE_TITLE = 'Parse JSON from a model reply';
const FILE = 'parse-model-json.mjs';

/** The pipeline row of one candidate's task (position 0 or 1; null: the invitation before any task is open). */
const row = (page: Page, name: string, position: number | null) =>
  page
    .locator(
      position === null
        ? '[data-testid=pipeline-row]:not([data-position])'
        : `[data-testid=pipeline-row][data-position="${position}"]`,
    )
    .filter({ hasText: name });
const stage = (page: Page, name: string, position: number | null) =>
  row(page, name, position)
    .first()
    .getAttribute('data-stage', { timeout: 1000 })
    .catch(() => null);

/** The pipeline page polls every 5 s (POLL_MS) on a shared machine: a stage change may take two polls. */
const LIVE = { timeout: 20_000 };

/** Waits for a message to `to` whose subject matches (other mail — confirmations, notices — may come between). */
async function mailTo(smtp: TestSmtp, to: string, subject: RegExp): Promise<ReceivedMail> {
  await expect
    .poll(() => smtp.messages.some((m) => m.to.includes(to) && subject.test(m.subject)), { timeout: 20_000 })
    .toBe(true);
  return smtp.messages.find((m) => m.to.includes(to) && subject.test(m.subject))!;
}
const linkIn = (m: ReceivedMail) => /(http\S+\/i\/\S+)/.exec(m.text)![1]!;

type Call = (method: string, url: string, body?: unknown) => Promise<Record<string, any>>;

/** A staff member's API calls through their own session (cookie + CSRF), signed in over HTTP. */
async function staffApi(env: Env, email: string): Promise<Call> {
  const ctx = await request.newContext({ baseURL: env.server.url });
  const login = await ctx.post('/api/auth/login', { data: { email, password: STAFF_PASSWORD } });
  if (!login.ok()) throw new Error(`login ${email}: ${login.status()}`);
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  return async (method, url, body) => {
    const r = await ctx.fetch(url, {
      method,
      headers: { 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
      data: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!r.ok()) throw new Error(`${method} ${url}: ${r.status()} ${await r.text()}`);
    return r.json() as Promise<Record<string, any>>;
  };
}

/** A reviewer submits a review with one level for every criterion (through the API). */
async function review(call: Call, attemptId: string, level: number) {
  const page = (await call('GET', `/api/reviews/${attemptId}`)) as { rubric: { id: string }[] };
  await call('PUT', `/api/reviews/${attemptId}/mine`, {
    levels: levelsFor(page, level),
    recommendation: level,
  });
  await call('POST', `/api/reviews/${attemptId}/mine/submit`);
}

/** Levels for every criterion of a review page's rubric, with shareable evidence. */
function levelsFor(page: { rubric: { id: string }[] }, level: number) {
  return Object.fromEntries(
    page.rubric.map((c) => [c.id, { level, evidence: `Level ${level} for ${c.id}.`, shareable: true }]),
  );
}

describe.runIf(hasChromium())('a two-task assessment from CSV invite to feedback email', () => {
  let smtp: TestSmtp;
  let env: Env;
  let admin: Browsing;
  beforeAll(async () => {
    smtp = await startSmtp();
    env = await startEnv(['tasks/hello-llm', 'tasks/critique-support-bot'], {
      SMTP_URL: smtp.url,
      DEADLINE_SWEEP_SECONDS: '1',
    });
    const r = await runCli(['assessments', 'import', 'assessments/ai-engineer-loop'], env.env);
    if (r.code !== 0) throw new Error(`assessments import: ${r.stderr}`);
    await env.addUser('admin', 'admin@example.com', 'Admin Person');
    admin = await openBrowser(env.server.url, { width: 1400, height: 1000 });
  }, 300_000); // CLI runs and a server start on a shared machine
  afterAll(async () => {
    await admin?.close();
    await env?.close();
    await smtp?.close();
  });

  it('invites by CSV, three candidates finish (one by the clock), reviewers grade per task, the admin decides', async () => {
    const a = admin.page;
    await signIn(a, 'admin@example.com');

    // 1. CSV invite to the assessment; three invitation emails with working links.
    await a.getByRole('link', { name: 'Invitations' }).click();
    await a.getByTestId('inv-task').selectOption('assessment:ai-engineer-loop');
    await a
      .getByLabel('…or paste it')
      .fill(
        'name,email\nAda Lovelace,ada@example.com\nBob Builder,bob@example.com\nCy Clockwatcher,cy@example.com',
      );
    await a.getByRole('button', { name: 'Invite all' }).click();
    await expect.poll(() => a.getByTestId('new-links').textContent(), LIVE).toMatch(/Emailed all 3 links/);
    const links: Record<string, string> = {};
    for (const who of ['ada', 'bob', 'cy']) {
      const m = await mailTo(smtp, `${who}@example.com`, /AI engineer loop|work sample/);
      links[who] = linkIn(m);
      expect(await a.getByTestId('new-links').textContent()).toContain(links[who]);
    }
    await shot(a, 'assessment-01-invited');

    // The pipeline stays open in the admin's browser from here on: every change below shows by polling.
    const pipe = (await admin.context.newPage()) as Page;
    await pipe.goto('/admin/candidates');
    await pipe.getByTestId('pipeline').waitFor();
    await expect.poll(() => stage(pipe, 'Ada Lovelace', null), LIVE).toBe('invited');
    expect(await row(pipe, 'Ada Lovelace', null).getByTestId('assessment').innerText()).toBe(
      'AI engineer loop · 2 tasks',
    );
    await pipe.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    // 2. Ada, in the browser: intro → Start → overview → both tasks → Submit all → final page.
    const ada = await openBrowser(env.server.url);
    try {
      const p = ada.page;
      await p.goto(links.ada!);
      await p.getByTestId('assessment-intro').waitFor();
      expect(await p.locator('h1').innerText()).toBe('AI engineer loop');
      expect(await p.getByTestId('assessment-intro-text').locator('strong').first().innerText()).toBe(
        'two parts',
      );
      const items = await p.getByTestId('assessment-task').allInnerTexts();
      expect(items).toHaveLength(2);
      expect(items[0]).toMatch(new RegExp(`${CODE_TITLE}[\\s\\S]*Code task · shared clock · weight 2`));
      expect(items[1]).toMatch(/Critique task · shared clock · weight 1/);
      expect(await p.getByTestId('clock-rule').innerText()).toMatch(/One clock of 1 hour for all 2 tasks/);
      await shot(p, 'assessment-02-intro');
      await expect.poll(() => stage(pipe, 'Ada Lovelace', null), LIVE).toBe('opened');

      await p.getByTestId('assessment-start').click();
      await p.getByTestId('assessment-overview').waitFor();
      expect(await p.getByTestId('countdown').innerText()).toMatch(/59:\d\d|1:00:00/);
      await p.getByTestId('open-task-1').click();
      await p.locator('body[data-editor-ready=true]').waitFor();
      expect(await p.getByTestId('assessment-position').innerText()).toBe('Task 1 of 2');
      expect(await p.getByTestId('prev-task').isDisabled()).toBe(true);
      await typeInEditor(p, '\n// ada was here\n');
      await saved(p);
      await shot(p, 'assessment-03-task-1');
      await expect.poll(() => stage(pipe, 'Ada Lovelace', 0), LIVE).toBe('started');

      // Next saves and moves on; the overall clock starts the second task's attempt at once.
      await p.getByTestId('next-task').click();
      await p.getByTestId('output-text').waitFor();
      expect(await p.getByTestId('assessment-position').innerText()).toBe('Task 2 of 2');
      await p.getByTestId('submit').click();
      await p.getByTestId('confirm-submit').click();
      await p.getByTestId('assessment-overview').waitFor();
      expect(await p.getByTestId('overview-note').innerText()).toMatch(/was submitted/);
      expect(await p.getByTestId('overview-task').evaluateAll((r) => r.map((x) => x.dataset.status))).toEqual(
        ['started', 'submitted'],
      );
      await shot(p, 'assessment-04-overview');

      // Submit all names the task still in progress; nothing is left unstarted.
      await p.getByTestId('submit-all').click();
      await p.getByTestId('submit-all-dialog').waitFor();
      expect(await p.getByTestId('submit-all-in-progress').innerText()).toContain(CODE_TITLE);
      expect(await p.getByTestId('submit-all-not-started').count()).toBe(0);
      await shot(p, 'assessment-05-submit-all');
      await p.getByTestId('confirm-submit-all').click();
      await p.getByTestId('assessment-final').waitFor();
      expect(await p.locator('h1').innerText()).toBe('Submitted — thank you');
      await expect.poll(() => stage(pipe, 'Ada Lovelace', 0), LIVE).toMatch(/^(submitted|graded)$/);
    } finally {
      await ada.close();
    }

    // 3. Bob, through the API: both tasks, each submitted on its own.
    const bob = (await candidateApi(env, links.bob!)).call;
    await bob('POST', '/api/candidate/assessment/start');
    for (const position of [0, 1]) {
      const v = await bob('POST', '/api/candidate/assessment/select', { position });
      await bob('POST', `/api/attempts/${v.attempt.id}/submit`);
    }
    const bobView = await bob('GET', '/api/candidate');
    expect(bobView.assessment.tasks.map((t: { status: string }) => t.status)).toEqual([
      'submitted',
      'submitted',
    ]);
    await expect.poll(() => stage(pipe, 'Bob Builder', 1), LIVE).toMatch(/^(submitted|graded)$/);

    // 4. Cy lets the clock run out in the browser: the first task open, the second never opened.
    const cy = await openBrowser(env.server.url);
    try {
      const p = cy.page;
      await p.goto(links.cy!);
      await p.getByTestId('assessment-start').click();
      await p.getByTestId('open-task-1').click();
      await p.locator('body[data-editor-ready=true]').waitFor();
      // The server's clock is real: move the assessment's start back so its deadline is 4 s away.
      const db = new Database(env.dbFile);
      db.pragma('busy_timeout = 5000');
      const inv = db
        .prepare('select id from invitations where candidate_email = ?')
        .get('cy@example.com') as { id: string };
      const deadline = Date.now() + 4000;
      db.prepare('update invitations set assessment_started_at = ? where id = ?').run(
        deadline - 60 * 60_000,
        inv.id,
      );
      db.prepare('update attempts set deadline_at = ? where invitation_id = ?').run(deadline, inv.id);
      db.close();
      await p.reload();
      await p.getByTestId('workspace').waitFor();
      await p.getByTestId('assessment-final').waitFor({ timeout: 20_000 });
      expect(await p.locator('h1').innerText()).toBe('Time is up — your work was submitted');
      const final = await p.getByTestId('final-tasks').innerText();
      // Submitted by the page at zero, or (if the server's sweeper was first) shown as being submitted.
      expect(final).toMatch(
        new RegExp(`${CODE_TITLE}: Submitted( \\(auto-submitted at the time limit\\)| at the time limit)`),
      );
      expect(final).toMatch(/Critique a support bot's answer about rate limiting: Not attempted/);
      await shot(p, 'assessment-06-time-up');
    } finally {
      await cy.close();
    }
    await expect.poll(() => stage(pipe, 'Cy Clockwatcher', 0), LIVE).toMatch(/^(submitted|graded)$/);
    expect(await row(pipe, 'Cy Clockwatcher', 0).innerText()).toMatch(/auto-submitted at deadline/);
    expect(await pipe.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    await shot(pipe, 'assessment-07-pipeline-submitted');

    // 5. Reviewers join after the submissions: nothing is assigned until the admin bulk-assigns.
    await env.addUser('reviewer', 'rita@example.com', 'Rita Reviewer');
    await env.addUser('reviewer', 'rex@example.com', 'Rex Reviewer');
    await pipe.reload();
    await pipe.getByTestId('pipeline').waitFor();
    await expect.poll(() => pipe.getByTestId('unassigned-banner').isVisible(), LIVE).toBe(true);
    await pipe.getByRole('checkbox', { name: 'Select every row on this page' }).check();
    await pipe.getByTestId('bulk-reviewer').selectOption({ label: 'Rita Reviewer (reviewer)' });
    await pipe.getByTestId('bulk-assign').click();
    await pipe.getByTestId('bulk-results').waitFor();
    await pipe.getByTestId('unassigned-banner').waitFor({ state: 'detached' });
    await expect.poll(() => stage(pipe, 'Ada Lovelace', 1), LIVE).toBe('in review');
    await shot(pipe, 'assessment-08-assigned');

    // 6. Per task, by different reviewers: Rex joins Rita on Ada's critique. Rita grades Ada's code
    // task in the browser and her other tasks through the API; Rex grades the critique.
    const adminCall = await staffApi(env, 'admin@example.com');
    const adaId = await row(pipe, 'Ada Lovelace', 0).getAttribute('data-invitation');
    const adaTasks = (
      (await adminCall('GET', `/api/invitations/${adaId}/summary`)) as {
        tasks: { attemptId: string }[];
      }
    ).tasks.map((t) => t.attemptId);
    const [adaCode, adaCritique] = adaTasks as [string, string];
    const { users } = (await adminCall('GET', '/api/users')) as { users: { id: string; email: string }[] };
    const rexId = users.find((u) => u.email === 'rex@example.com')!.id;
    await adminCall('POST', `/api/reviews/${adaCritique}/assignments`, { reviewerIds: [rexId] });
    const rita = await openBrowser(env.server.url, { width: 1400, height: 1000 });
    try {
      const p = rita.page;
      await signIn(p, 'rita@example.com');
      // Ada 2 + Bob 2 + Cy 1 (her second task was never attempted: nothing to review).
      await expect.poll(() => p.getByTestId('queue-row').count(), LIVE).toBe(5);
      await p.locator(`[data-testid=queue-row][data-attempt="${adaCode}"] [data-testid=queue-open]`).click();
      await p.getByTestId('rubric-form').waitFor();
      for (const c of ['correctness', 'error-handling', 'clarity']) {
        await p.getByTestId(`level-${c}-3`).check();
        await p.getByTestId(`evidence-${c}`).fill(`Level 3: ${c} is fine in ${FILE}.`);
        await p.getByTestId(`share-${c}`).check();
      }
      await p.getByTestId('rec-3').check();
      await p.getByTestId('submit-review').click();
      await p.getByTestId('confirm-review').click();
      await p.getByTestId('my-review').waitFor();
      await shot(p, 'assessment-09-review');
    } finally {
      await rita.close();
    }
    const ritaCall = await staffApi(env, 'rita@example.com');
    const { items } = (await ritaCall('GET', '/api/reviews/queue')) as { items: { attemptId: string }[] };
    for (const item of items.filter((i) => i.attemptId !== adaCode))
      await review(ritaCall, item.attemptId, 2);
    await review(await staffApi(env, 'rex@example.com'), adaCritique, 4);
    await expect.poll(() => stage(pipe, 'Ada Lovelace', 1), LIVE).toBe('in review');

    // 7. The admin opens Ada's summary from the pipeline, decides, and sends the feedback email.
    await row(pipe, 'Ada Lovelace', 0).getByTestId('summary-link').click();
    await pipe.getByTestId('candidate-summary').waitFor();
    expect(await pipe.getByTestId('summary-assessment').innerText()).toBe('AI engineer loop');
    const tasks = pipe.getByTestId('summary-task');
    await expect.poll(() => tasks.count(), LIVE).toBe(2);
    // Levels 1..4 normalised to 0..1: Rita's 3 → 67%; the critique is the mean of Rita's 2 and Rex's 4.
    expect(await tasks.nth(0).getByTestId('summary-review').innerText()).toBe('67%');
    expect(await tasks.nth(1).getByTestId('summary-review').innerText()).toBe('67%');
    expect(await tasks.nth(1).innerText()).toMatch(/2\/2$/);
    // (2 × 2/3 + 1 × 2/3) / 3
    expect(await pipe.getByTestId('summary-overall').innerText()).toBe('67%');
    await shot(pipe, 'assessment-10-summary');
    await pipe.getByTestId('summary-decision-advance').check();
    await pipe.getByTestId('summary-reason').fill('Solid parser; the critique found the main flaws.');
    await pipe.getByTestId('summary-decide').click();
    await pipe.getByTestId('summary-decided').waitFor();
    pipe.once('dialog', (d) => void d.accept());
    await pipe.getByTestId('summary-send-feedback').click();
    await pipe.getByTestId('summary-feedback-sent').waitFor();
    expect(await pipe.getByTestId('summary-feedback-sent').innerText()).toMatch(
      /ada@example\.com \(2 tasks\)/,
    );
    // One email for the assessment, a section per task.
    const feedback = await mailTo(smtp, 'ada@example.com', /^Feedback on your/);
    expect(feedback.subject).toMatch(/AI engineer/i);
    expect(feedback.text).toMatch(/level 3/i);
    expect(feedback.text.match(/^## Feedback: /gm)).toHaveLength(2);
    await shot(pipe, 'assessment-11-decided');

    await pipe.goto('/admin/candidates');
    await expect.poll(() => stage(pipe, 'Ada Lovelace', 0), LIVE).toBe('decided');
    expect(await stage(pipe, 'Ada Lovelace', 1)).toBe('decided');
  }, 180_000);
});
