/**
 * The IDE assistant in real Chromium: the landing page states the policy, the candidate asks the
 * assistant (sharing the open file) on hello-llm, sees the mock model's answer rendered as Markdown,
 * inserts its code block at the cursor (saved like typing), and the reviewer sees the turn in the LLM
 * transcript marked "IDE assistant", apart from calls made by code. No sandbox is needed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  type Env,
  signIn,
} from './harness.ts';

describe.runIf(hasChromium())('IDE assistant', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(['tasks/hello-llm']);
    await env.addUser('admin', 'admin@example.com', 'Admin');
  }, 180_000);
  afterAll(async () => {
    await env?.close();
  });

  it(
    'answers the candidate, inserts code at the cursor, and shows the reviewer the turn as assistant use',
    { timeout: 180_000 },
    async () => {
      const b = await openBrowser(env.server.url);
      let id = '';
      try {
        const { page } = b;
        await page.goto(await env.invite('hello-llm', 'assistant@example.com'));
        expect(await page.getByTestId('assistant-policy').innerText()).toContain(
          'An AI assistant is available in the editor; its conversation is recorded and shown to reviewers',
        );
        await page.getByTestId('start').click();
        await page.locator('body[data-editor-ready=true]').waitFor();
        id = await attemptId(page);
        const file = (await page.getByTestId('editor').getAttribute('data-path'))!;

        // Cursor on a fresh line at the end of the open file.
        await typeInEditor(page, '\n// from the assistant:\n');
        await page.getByTestId('assistant-tab').click();
        await page.getByTestId('assistant-share').check();
        await page.getByTestId('assistant-input').fill('Can you show me some JSON?');
        await page.getByTestId('assistant-send').click();
        const answer = page.getByTestId('assistant-assistant');
        await answer.waitFor();
        await expect.poll(() => answer.innerText(), { timeout: 10_000 }).toContain('Here is the result');
        // Rendered Markdown: the fence became a code block.
        expect(await answer.locator('pre code').innerText()).toContain('"sentiment": "positive"');
        await shot(page, 'assistant-01-answer');

        await answer.getByTestId('assistant-insert').click();
        await expect.poll(() => editorText(page)).toContain('{ "sentiment": "positive", "score": 0.92 }');
        await saved(page);
        expect(await serverFile(page, id, file)).toContain(
          '// from the assistant:\n{ "sentiment": "positive", "score": 0.92 }',
        );

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
        await page.getByTestId('tab-llm').click();
        const origin = page.getByTestId('call-origin');
        await origin.first().waitFor();
        expect(await origin.allInnerTexts()).toEqual(['IDE assistant']);
        await shot(page, 'assistant-02-reviewer-transcript');
      } finally {
        await admin.close();
      }
    },
  );
});
