/**
 * Critique and written tasks in the browser (including annotating with the keyboard alone), the deadline
 * auto-submit, and the invalid-link page.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  attemptId,
  hasChromium,
  openBrowser,
  saved,
  serverFile,
  shot,
  startEnv,
  typeInEditor,
  type Env,
} from './harness.ts';

/** Selects the first occurrence of `text` in the model output, as a mouse drag would. */
async function select(page: Page, text: string) {
  await page.evaluate((needle) => {
    const root = document.querySelector('[data-testid=output-text]')!;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const at = n.textContent!.indexOf(needle);
      if (at >= 0) {
        const r = document.createRange();
        r.setStart(n, at);
        r.setEnd(n, at + needle.length);
        getSelection()!.removeAllRanges();
        getSelection()!.addRange(r);
        return;
      }
    }
    throw new Error(`not found: ${needle}`);
  }, text);
}

async function annotate(page: Page, text: string, category: string, comment: string) {
  await select(page, text);
  await page.getByTestId('annotate').click();
  await page.getByTestId('annotation-category').selectOption(category);
  await page.getByTestId('annotation-comment').fill(comment);
  await page.getByTestId('annotation-save').click();
}

/** Presses `key` `n` times. */
async function press(page: Page, key: string, n: number) {
  for (let i = 0; i < n; i++) await page.keyboard.press(key);
}

const focused = (page: Page) =>
  page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

/** Waits until the element with this test id has keyboard focus. */
const focusOn = (page: Page, testId: string) =>
  page.waitForFunction((id) => document.activeElement?.getAttribute('data-testid') === id, testId);

describe.runIf(hasChromium())('critique, written, deadline and links in the browser', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(['tasks/critique-support-bot', 'tasks/design-llm-feature', 'tasks/hello-llm']);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('annotates two spans of a critique output; they survive a reload and are submitted', async () => {
    const b = await openBrowser(env.server.url);
    try {
      const { page } = b;
      await page.goto(await env.invite('critique-support-bot', 'crit@example.com'));
      await page.getByTestId('start').click();
      await page.getByTestId('output-text').waitFor();
      const id = await attemptId(page);

      await annotate(
        page,
        'up to 500 shipments per request',
        'factual-error',
        'The reference says 50 per request.',
      );
      await annotate(
        page,
        'take about 3 minutes',
        'factual-error',
        '3,000 requests at 100/min is 30 minutes.',
      );
      await page.getByTestId('side-questions').click();
      await page.getByTestId('answer-most-harmful').fill('Retrying POSTs without an Idempotency-Key.');
      await saved(page);
      await shot(page, '06-critique');

      await page.reload();
      await page.getByTestId('output-text').waitFor();
      expect(await page.getByTestId('annotation').count()).toBe(2);
      expect(await page.locator('[data-testid=output-text] mark').allInnerTexts()).toEqual([
        'up to 500 shipments per request',
        'take about 3 minutes',
      ]);
      const stored = JSON.parse(await serverFile(page, id, 'critique/annotations.json')) as {
        annotations: { quote: string; category: string; comment: string }[];
      };
      expect(stored.annotations.map((a) => a.quote)).toEqual([
        'up to 500 shipments per request',
        'take about 3 minutes',
      ]);
      expect(await serverFile(page, id, 'critique/answers.json')).toContain('Idempotency-Key');

      await page.getByTestId('submit').click();
      await page.getByTestId('confirm-submit').click();
      await page.getByTestId('done').waitFor();
    } finally {
      await b.close();
    }
  });

  it('annotates a span with the keyboard alone; it survives a reload', async () => {
    const b = await openBrowser(env.server.url);
    try {
      const { page } = b;
      await page.goto(await env.invite('critique-support-bot', 'keys@example.com'));
      await page.getByTestId('start').click();
      await page.getByTestId('output-text').waitFor();
      const id = await attemptId(page);
      const text = await page.getByTestId('output-text').innerText();
      const quote = 'up to 500 shipments per request';
      const at = text.indexOf(quote);
      const before = text.slice(0, at).split('\n');

      // From here on only the keyboard: Tab to the output, Enter starts keyboard selection.
      for (let i = 0; i < 60 && (await focused(page)) !== 'output-text'; i++)
        await page.keyboard.press('Tab');
      expect(await focused(page)).toBe('output-text');
      await page.keyboard.press('Enter');
      await page.locator('[data-testid=keyboard-select][aria-pressed=true]').waitFor();
      await page.keyboard.press('Control+Home');
      await press(page, 'ArrowDown', before.length - 1);
      await press(page, 'ArrowRight', before.at(-1)!.length);
      await press(page, 'Shift+ArrowRight', quote.length);
      await page.getByTestId('selection-live').filter({ hasText: 'Selected' }).waitFor();
      expect(await page.locator('[data-testid=output-text] .kb-sel').innerText()).toBe(quote);
      expect(await page.getByTestId('selection-live').innerText()).toBe(
        `Selected ${quote.length} characters: ${quote}`,
      );
      expect(await page.getByTestId('keyboard-status').innerText()).toContain(
        `${quote.length} characters selected`,
      );
      await shot(page, '11-critique-keyboard-selection');

      // Escape in the form cancels it and puts focus back in the text.
      await page.keyboard.press('Enter');
      await focusOn(page, 'annotation-category');
      await page.keyboard.press('Escape');
      await page.getByTestId('annotation-form').waitFor({ state: 'detached' });
      await focusOn(page, 'output-text');

      // Select again, backwards this time, and annotate: category by typing, comment, Save.
      await press(page, 'Shift+ArrowLeft', quote.length);
      expect(await page.getByTestId('selection-live').innerText()).toContain(quote);
      await page.keyboard.press('Enter');
      await focusOn(page, 'annotation-category');
      await page.keyboard.type('logic');
      await page.keyboard.press('Tab');
      await page.keyboard.type('Batches are capped at 50.');
      await shot(page, '12-critique-keyboard-form');
      await page.keyboard.press('Tab');
      await focusOn(page, 'annotation-save');
      await page.keyboard.press('Enter');
      await focusOn(page, 'output-text');
      expect(await page.locator('[data-testid=output-text] mark').allInnerTexts()).toEqual([quote]);
      await saved(page);

      await page.reload();
      await page.getByTestId('output-text').waitFor();
      expect(await page.locator('[data-testid=output-text] mark').allInnerTexts()).toEqual([quote]);
      expect(await page.getByTestId('annotation').innerText()).toContain('Batches are capped at 50.');
      const stored = JSON.parse(await serverFile(page, id, 'critique/annotations.json')) as {
        annotations: { quote: string; category: string; comment: string }[];
      };
      expect(stored.annotations).toMatchObject([
        { quote, category: 'logic-bug', comment: 'Batches are capped at 50.' },
      ]);
    } finally {
      await b.close();
    }
  });

  it('writes a markdown answer with a live preview', async () => {
    const b = await openBrowser(env.server.url, { width: 1920, height: 1080 });
    try {
      const { page } = b;
      await page.goto(await env.invite('design-llm-feature', 'writer@example.com'));
      await page.getByTestId('landing').waitFor();
      await shot(page, '07-landing-written-1080p');
      await page.getByTestId('start').click();
      await page.locator('body[data-editor-ready=true]').waitFor();
      const id = await attemptId(page);
      await typeInEditor(page, '\n**Drafts are made on ticket open.**\n');
      await page
        .locator('[data-testid=preview] strong', { hasText: 'Drafts are made on ticket open.' })
        .waitFor();
      await saved(page);
      expect(await serverFile(page, id, 'answer.md')).toContain('## design');
      await shot(page, '08-written-1080p');
    } finally {
      await b.close();
    }
  });

  it('submits and locks the page when the deadline passes', async () => {
    const b = await openBrowser(env.server.url);
    try {
      const { page } = b;
      await page.goto(await env.invite('hello-llm', 'late@example.com'));
      await page.getByTestId('start').click();
      await page.locator('body[data-editor-ready=true]').waitFor();
      const id = await attemptId(page);
      // The server's clock is real: move this attempt's deadline a few seconds ahead, then reload.
      const db = new Database(env.dbFile);
      db.pragma('busy_timeout = 5000');
      db.prepare('update attempts set deadline_at = ? where id = ?').run(Date.now() + 4000, id);
      db.close();
      await page.reload();
      await page.getByTestId('workspace').waitFor();
      await page.getByTestId('done').waitFor();
      expect(await page.locator('h1').innerText()).toContain('Time is up');
      await shot(page, '09-deadline-submitted');
      const a = (await (await page.request.get(`/api/attempts/${id}`)).json()) as {
        attempt: { status: string; writable: boolean };
      };
      expect(a.attempt).toMatchObject({ status: 'submitted', writable: false });
    } finally {
      await b.close();
    }
  });

  it('explains an invalid invitation link and a visit without one', async () => {
    const b = await openBrowser(env.server.url);
    try {
      const { page } = b;
      const res = await page.goto('/i/not-a-real-token');
      expect(res!.status()).toBeGreaterThanOrEqual(400);
      expect(await page.locator('h1').innerText()).toContain('This invitation link cannot be used');
      await shot(page, '10-invalid-link');
      await page.goto('/');
      await page.getByTestId('no-invitation').waitFor();
      expect(await page.getByTestId('no-invitation').innerText()).toContain('open the invitation link');
    } finally {
      await b.close();
    }
  });
});
