/**
 * The workspace as an IDE, in real Chromium with real sandboxes: a candidate's own test file
 * (ticket-triage's own.test.ts) runs with Ctrl+Shift+Enter and is listed in the Tests tab with a jump
 * to the failing line; Ctrl+Enter runs; Ctrl+S is caught; the command palette lists the workspace
 * commands; a large paste and time away reach the reviewer as neutral signals; typing in Monaco is
 * replayed to the reviewer keystroke by keystroke between two autosaves; a 390 px screen is warned
 * before Start and then gets one section at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  attemptId,
  hasChromium,
  openBrowser,
  saved,
  shot,
  startEnv,
  type Env,
  signIn,
  typeInEditor,
} from './harness.ts';

const OWN = [
  "import { test } from 'node:test';",
  "import assert from 'node:assert/strict';",
  '',
  "test('my own test passes', () => {",
  '  assert.equal(1 + 1, 2);',
  '});',
  '',
  "test('my own test fails', () => {",
  "  assert.equal('triage', 'triaged');",
  '});',
  '',
].join('\n');

/** Whether the browser's default action of the next keydown was prevented (read after dispatch). */
async function watchPrevented(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { prevented: string[] };
    w.prevented = [];
    addEventListener(
      'keydown',
      (e) => {
        if (e.key !== 'Control') setTimeout(() => w.prevented.push(`${e.key}:${e.defaultPrevented}`));
      },
      true,
    );
  });
}

describe.runIf(hasChromium())('workspace shortcuts, tests panel, signals, small screens', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(['tasks/ticket-triage', 'tasks/hello-llm']);
    await env.addUser('admin', 'admin@example.com', 'Admin');
  }, 180_000);
  afterAll(async () => {
    await env?.close();
  });

  it(
    "runs the candidate's own test file and lists it in the Tests tab; shortcuts and palette work",
    { timeout: 240_000 },
    async () => {
      const b = await openBrowser(env.server.url);
      let id = '';
      try {
        const { page } = b;
        await page.goto(await env.invite('ticket-triage', 'own-tests@example.com'));
        await page.getByTestId('start').click();
        await page.locator('body[data-editor-ready=true]').waitFor();
        id = await attemptId(page);
        const { csrfToken } = (await (await page.request.get('/api/candidate')).json()) as {
          csrfToken: string;
        };
        const put = await page.request.put(`/api/attempts/${id}/file`, {
          headers: { 'x-csrf-token': csrfToken },
          data: { path: 'own.test.ts', content: OWN, baseRevision: 0 },
        });
        expect(put.status()).toBe(200);
        await page.reload();
        await page.locator('body[data-editor-ready=true]').waitFor();

        // Ctrl+Shift+Enter from the editor runs the tests; the list shows visible and own tests.
        await page.locator('.monaco-editor .view-lines').click();
        await page.keyboard.press('Control+Shift+Enter');
        await page.getByTestId('tests').waitFor({ timeout: 120_000 });
        const row = (name: string) => page.getByTestId('test').filter({ hasText: name });
        expect(await row('my own test passes').getAttribute('data-status')).toBe('passed');
        expect(await row('my own test fails').getAttribute('data-status')).toBe('failed');
        expect(await row('my own test fails').locator('.test-message').innerText()).toContain('triaged');
        expect(await page.getByTestId('test-name').allInnerTexts()).toEqual(
          expect.arrayContaining(['triages a billing ticket']),
        );
        await shot(page, 'ide-01-tests-panel');

        // The failure's location (the assertion's line) opens the file there.
        expect(await row('my own test fails').getByTestId('test-location').innerText()).toBe('own.test.ts:9');
        await row('my own test fails').getByTestId('test-location').click();
        await page.locator('[data-testid=editor][data-path="own.test.ts"]').waitFor();
        await page.locator('.monaco-editor .view-line', { hasText: "'triaged'" }).waitFor();

        // Ctrl+Enter runs the program; Ctrl+S is caught (no browser "Save page" dialog).
        await watchPrevented(page);
        await page.locator('.monaco-editor .view-lines').click();
        await page.keyboard.press('Control+s');
        await page.keyboard.press('Control+Enter');
        await page.getByTestId('verdict').waitFor({ timeout: 120_000 });
        await page.getByTestId('output-tab').waitFor();
        expect(await page.evaluate(() => (window as unknown as { prevented: string[] }).prevented)).toEqual([
          's:true',
          'Enter:true',
        ]);
        await saved(page);

        // The command palette (F1) lists the workspace commands.
        await page.locator('.monaco-editor .view-lines').click();
        await page.keyboard.press('F1');
        await page.keyboard.type('Workspace:');
        const palette = page.locator('.quick-input-widget');
        await palette.getByText('Workspace: Run tests').waitFor();
        expect(await palette.innerText()).toContain('Workspace: Save now');
        await page.keyboard.press('Escape');

        // Integrity signals: a 600-character paste and a period in another window.
        await page.locator('.monaco-editor .view-lines').click();
        await page.evaluate(() => {
          const data = new DataTransfer();
          data.setData('text/plain', `// ${'x'.repeat(600)}\n`);
          document.activeElement!.dispatchEvent(
            new ClipboardEvent('paste', { clipboardData: data, bubbles: true }),
          );
        });
        await page.evaluate(() => dispatchEvent(new Event('blur')));
        await page.waitForTimeout(1500);
        await page.evaluate(() => dispatchEvent(new Event('focus')));
        await page.getByTestId('submit').click();
        await page.getByTestId('confirm-submit').click();
        await page.getByTestId('done').waitFor();
      } finally {
        await b.close();
      }

      // The reviewer's page says what happened, neutrally.
      const admin = await openBrowser(env.server.url, { width: 1400, height: 1000 });
      try {
        const { page } = admin;
        await signIn(page, 'admin@example.com');
        await page.goto(`/review/${id}`);
        const summary = page.getByTestId('integrity-summary');
        await summary.waitFor();
        const text = await summary.innerText();
        expect(text).toContain('1 paste over 200 characters');
        expect(text).toMatch(/away \d+ s in 1 period/);
        await shot(page, 'ide-02-integrity-summary');
      } finally {
        await admin.close();
      }
    },
  );

  it(
    'replays typing between two autosaves: the reviewer scrubs through text that was never saved',
    { timeout: 240_000 },
    async () => {
      const FIRST = '// first line typed by hand';
      const SECOND = '// second line, letter by letter';
      const b = await openBrowser(env.server.url, { width: 1400, height: 1000 });
      let id = '';
      let path = '';
      try {
        const { page } = b;
        await page.goto(await env.invite('hello-llm', 'typist@example.com'));
        await page.getByTestId('start').click();
        await page.locator('body[data-editor-ready=true]').waitFor();
        id = await attemptId(page);
        path = (await page.getByTestId('editor').getAttribute('data-path'))!;
        // Two bursts of typing, each ending in an autosave followed by its edit log.
        for (const line of [FIRST, SECOND]) {
          const logged = page.waitForResponse(
            (r) => r.url().endsWith(`/api/attempts/${id}/edits`) && r.request().method() === 'POST',
          );
          await typeInEditor(page, `\n${line}`, { delay: 25 });
          await saved(page);
          const r = await logged;
          expect(r.status(), await r.text()).toBe(200);
          expect(await r.json()).toEqual({ stored: true });
        }
        await page.getByTestId('submit').click();
        await page.getByTestId('confirm-submit').click();
        await page.getByTestId('done').waitFor();
      } finally {
        await b.close();
      }

      const admin = await openBrowser(env.server.url, { width: 1400, height: 1000 });
      try {
        const { page } = admin;
        await signIn(page, 'admin@example.com');
        await page.goto(`/review/${id}`);
        await page.getByTestId('tab-replay').click();
        const range = page.getByTestId('replay-range');
        await range.waitFor();
        const moment = page.getByTestId('replay-moment');
        const file = page.getByTestId('replay-file');
        // From the start, step forward through the moments until the second save.
        await range.focus();
        await page.keyboard.press('Home');
        await moment.filter({ hasText: 'Started' }).waitFor();
        const seen: { label: string; text: string; typing: boolean }[] = [];
        for (let i = 0; i < 200; i++) {
          await page.keyboard.press('ArrowRight');
          await page.waitForFunction(
            (n) =>
              (document.querySelector('[data-testid=replay-range]') as HTMLInputElement).value === String(n),
            i + 1,
          );
          const label = await moment.innerText();
          await file.waitFor();
          seen.push({
            label,
            text: await file.innerText(),
            typing: (await file.getAttribute('data-typing')) === 'true',
          });
          if (seen.filter((s) => s.label.includes(`Saved ${path}`)).length === 2) break;
        }
        const saves = seen.filter((s) => s.label.includes(`Saved ${path}`));
        expect(saves).toHaveLength(2);
        expect(saves[0]!.text).toContain(FIRST);
        expect(saves[0]!.text).not.toContain('// second');
        expect(saves[1]!.text).toContain(SECOND);
        // Between the two saves: the second line part-typed, a text no save ever held.
        const between = seen.slice(seen.indexOf(saves[0]!) + 1, seen.indexOf(saves[1]!));
        const partial = between.filter(
          (s) => s.typing && s.text.includes(FIRST) && s.text.includes('// sec') && !s.text.includes(SECOND),
        );
        expect(partial.length, JSON.stringify(between.map((s) => s.label))).toBeGreaterThan(5);
        expect(partial[0]!.label).toMatch(
          new RegExp(`Typing in ${path.replace('.', '\\.')}: \\d+ of \\d+ changes`),
        );
        // Before the first save, the first line appears as it was typed, too.
        expect(seen.some((s) => s.typing && s.text.includes('// first') && !s.text.includes(FIRST))).toBe(
          true,
        );
        await shot(page, 'ide-05-replay-typing');

        // Play from the start runs through the typing to the end of the timeline.
        await page.getByTestId('replay-speed').selectOption('64');
        await range.focus();
        await page.keyboard.press('Home');
        await moment.filter({ hasText: 'Started' }).waitFor();
        const play = page.getByTestId('replay-play');
        await play.click();
        await page.locator('[data-testid=replay-play][aria-pressed=true]').waitFor();
        await page.locator('[data-testid=replay-play][aria-pressed=false]').waitFor({ timeout: 60_000 });
        expect(await moment.innerText()).toMatch(/Submitted|Graded/);
        expect(await range.inputValue()).toBe(await range.getAttribute('max'));
      } finally {
        await admin.close();
      }
    },
  );

  it(
    'warns a 390 px screen before Start, then shows one section at a time',
    { timeout: 120_000 },
    async () => {
      const b = await openBrowser(env.server.url, { width: 390, height: 844 });
      try {
        const { page } = b;
        await page.goto(await env.invite('hello-llm', 'phone@example.com'));
        await page.getByTestId('narrow-warning').waitFor();
        expect(await page.getByTestId('narrow-warning').innerText()).toContain('small');
        await shot(page, 'ide-03-phone-landing');
        await page.getByTestId('start').click();
        await page.locator('body[data-editor-ready=true]').waitFor();
        const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
        expect(await overflow()).toBeLessThanOrEqual(0);
        expect(await page.getByTestId('editor').isVisible()).toBe(true);
        expect(await page.getByTestId('file-tree').isVisible()).toBe(false);
        await page.getByTestId('pane-files').click();
        expect(await page.getByTestId('file-tree').isVisible()).toBe(true);
        await page.getByTestId('pane-output').click();
        expect(await page.getByTestId('run').isVisible()).toBe(true);
        await page.getByTestId('pane-side').click();
        expect(await page.getByTestId('statement').isVisible()).toBe(true);
        expect(await page.getByTestId('countdown').isVisible()).toBe(true);
        expect(await page.getByTestId('submit').isVisible()).toBe(true);
        expect(await overflow()).toBeLessThanOrEqual(0);
        await shot(page, 'ide-04-phone-workspace');
      } finally {
        await b.close();
      }
    },
  );
});
