/**
 * The full candidate flow for a code task in real Chromium: invite → start → type in Monaco → run
 * with streamed output → reload mid-edit → offline edit queued and replayed → submit → locked.
 * Plus: two tabs on one attempt get a conflict notice instead of overwriting each other, and an edit
 * that only reached IndexedDB survives the tab crashing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  attemptId,
  editorText,
  hasChromium,
  openBrowser,
  saved,
  serverFile,
  shot,
  startEnv,
  typeInEditor,
  type Browsing,
  type Env,
} from './harness.ts';

const FILE = 'parse-model-json.mjs';

/** Resolves once IndexedDB's queue of unsent edits holds text containing `needle`. */
async function queuedInIndexedDb(page: Page, needle: string) {
  await page.waitForFunction(async (needle) => {
    const db = await new Promise<IDBDatabase>((r) => {
      const q = indexedDB.open('worksample', 1);
      q.onsuccess = () => r(q.result);
    });
    const all = await new Promise<{ content: string }[]>((r) => {
      const q = db.transaction('pending').objectStore('pending').getAll();
      q.onsuccess = () => r(q.result as { content: string }[]);
    });
    db.close();
    return all.some((x) => x.content.includes(needle));
  }, needle);
}

describe.runIf(hasChromium())('code task in the browser', () => {
  let env: Env;
  let b: Browsing;
  beforeAll(async () => {
    env = await startEnv(['tasks/hello-llm']);
  });
  afterAll(async () => {
    await b?.close();
    await env?.close();
  });

  it('goes from invitation to a locked submission without losing an edit', async () => {
    b = await openBrowser(env.server.url);
    const { page, context } = b;
    await page.goto(await env.invite('hello-llm', 'ada@example.com'));
    await page.getByTestId('landing').waitFor();
    expect(await page.getByTestId('time-limit').innerText()).toBe('15 minutes');
    expect(await page.getByTestId('rubric').innerText()).toContain('Correctness');
    await shot(page, '01-landing');

    await page.getByTestId('start').click();
    await page.locator('body[data-editor-ready=true]').waitFor();
    expect(await page.getByTestId('statement').innerText()).toContain('parseModelJson');
    const id = await attemptId(page);

    // Typing in Monaco is saved to the server.
    await typeInEditor(page, '\n// edit-one\n');
    await saved(page);
    expect(await serverFile(page, id, FILE)).toContain('// edit-one');

    // Run: the program's output streams into the panel with a verdict.
    await page.getByTestId('run').click();
    await page.getByTestId('verdict').waitFor();
    expect(await page.getByTestId('verdict').innerText()).toMatch(/^ok \(exit 0\)/);
    expect(await page.getByTestId('output').innerText()).toContain('not implemented');
    await shot(page, '02-code-workspace-run');

    // Reload in the middle of an edit: the text sits in IndexedDB before any save, and comes back.
    await typeInEditor(page, '// mid-edit');
    await queuedInIndexedDb(page, '// mid-edit');
    await page.reload();
    await page.locator('body[data-editor-ready=true]').waitFor();
    expect(await editorText(page)).toContain('// mid-edit');
    await saved(page);
    expect(await serverFile(page, id, FILE)).toContain('// mid-edit');

    // Offline: the edit is queued (and said so), then saved when the connection returns.
    await context.setOffline(true);
    await typeInEditor(page, '\n// offline-edit');
    await page.locator('[data-testid=save-state][data-status=offline]').waitFor();
    expect(await page.getByTestId('save-state').innerText()).toContain('Offline — 1 change queued');
    await shot(page, '03-offline-queued');
    await context.setOffline(false);
    await saved(page);
    expect(await serverFile(page, id, FILE)).toContain('// offline-edit');

    // Submit with confirmation; the workspace locks.
    await page.getByTestId('submit').click();
    await page.getByTestId('confirm-submit').click();
    await page.getByTestId('done').waitFor();
    expect(await page.getByTestId('done-text').innerText()).toContain('was submitted');
    await shot(page, '04-submitted');
    const late = await page.request.put(`/api/attempts/${id}/file`, {
      data: { path: FILE, content: 'too late' },
      headers: {
        'x-csrf-token': ((await (await page.request.get('/api/candidate')).json()) as { csrfToken: string })
          .csrfToken,
      },
    });
    expect(late.status()).toBe(409);
    await page.reload();
    await page.getByTestId('done').waitFor();
  });

  it('shows a conflict instead of overwriting when two tabs edit the same file', async () => {
    const c = await openBrowser(env.server.url);
    try {
      const one = c.page;
      await one.goto(await env.invite('hello-llm', 'two-tabs@example.com'));
      await one.getByTestId('start').click();
      await one.locator('body[data-editor-ready=true]').waitFor();
      const id = await attemptId(one);
      const two = await c.context.newPage();
      await two.goto('/attempt');
      await two.locator('body[data-editor-ready=true]').waitFor();

      await typeInEditor(one, '\n// from tab one');
      await saved(one);
      await typeInEditor(two, '\n// from tab two');
      await two.getByTestId('conflict').waitFor();
      // Tab one's save is still what the server has.
      expect(await serverFile(two, id, FILE)).toContain('// from tab one');
      expect(await serverFile(two, id, FILE)).not.toContain('// from tab two');
      await shot(two, '05-conflict');

      await two.getByTestId('keep-mine').click();
      await saved(two);
      const now = await serverFile(two, id, FILE);
      expect(now).toContain('// from tab two');
      expect(now).not.toContain('// from tab one');
    } finally {
      await c.close();
    }
  });

  it('keeps an edit that reached only IndexedDB when the tab crashes, and saves it on reopen', async () => {
    const c = await openBrowser(env.server.url);
    try {
      const tab = c.page;
      await tab.goto(await env.invite('hello-llm', 'crash@example.com'));
      await tab.getByTestId('start').click();
      await tab.locator('body[data-editor-ready=true]').waitFor();
      const id = await attemptId(tab);

      // The server never sees this edit: its save is refused at the network layer, not raced.
      let attempted!: () => void;
      const saveAttempted = new Promise<void>((r) => (attempted = r));
      await tab.route('**/api/attempts/*/file', async (route) => {
        if (route.request().method() !== 'PUT') return route.fallback();
        attempted();
        await route.abort('internetdisconnected');
      });
      await typeInEditor(tab, '\n// before-the-crash');
      await queuedInIndexedDb(tab, '// before-the-crash');
      await saveAttempted;
      expect(await serverFile(tab, id, FILE)).not.toContain('// before-the-crash');

      // Kill the tab's renderer process: no unload, pagehide or pending timers run.
      const crashed = tab.waitForEvent('crash');
      tab.goto('chrome://crash').catch(() => {});
      await crashed;

      const again = await c.context.newPage();
      await again.goto('/attempt');
      await again.locator('body[data-editor-ready=true]').waitFor();
      expect(await editorText(again)).toContain('// before-the-crash');
      await saved(again);
      expect(await serverFile(again, id, FILE)).toContain('// before-the-crash');
      expect(await again.getByTestId('conflict').count()).toBe(0);
    } finally {
      await c.close();
    }
  });
});
