/**
 * Stored XSS against staff, in real Chromium. Everything a candidate controls ends up on a staff page:
 * file names and contents (files, diff, replay), the Markdown of a written answer, the output of their
 * code (Runs), the prompts they send the IDE assistant (LLM transcript); the name an ATS or a CSV puts
 * on an invitation reaches the admin's invitations page. A hostile candidate fills each of them with
 * markup that would run script if it were ever inserted as HTML, then an admin opens every tab.
 *
 * What must hold: no payload runs (a tripwire global set by the payloads stays unset, no dialog
 * opens), no element of the page carries an inline event handler or a `javascript:` link, and the
 * payload text is shown to the reviewer as text (so the check looked at the right place).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { candidateApi, hasChromium, openBrowser, shot, startEnv, signIn, type Env } from './harness.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesHint, sandboxesReady } from '../helpers/docker.ts';

const ready = await sandboxesReady();

/** Markup that runs script wherever it is parsed as HTML (each sets the tripwire, one also alerts). */
const PAYLOAD =
  `<img src=x onerror="window.__xss=1;alert(1)">` +
  `<svg onload="window.__xss=2"></svg>` +
  `<script>window.__xss=3</script>` +
  `<a href="javascript:window.__xss=4" id="xss-link">click</a>`;
const BAD_NAME = `<img src=x onerror="window.__xss=5">.mjs`;

/** Every element with an on* attribute or a javascript: URL, described for the failure message. */
async function dangerous(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const el of Array.from(document.querySelectorAll('*'))) {
      for (const a of Array.from(el.attributes)) {
        if (/^on/i.test(a.name) || /^\s*javascript:/i.test(a.value))
          found.push(`<${el.tagName.toLowerCase()} ${a.name}="${a.value}">`);
      }
    }
    return found;
  });
}

describe.runIf(hasChromium() && needs('docker', ready, sandboxesHint))('stored XSS against staff', () => {
  let env: Env;
  let codeAttempt: string;
  let writtenAttempt: string;

  beforeAll(async () => {
    env = await startEnv(['tasks/hello-llm', 'tasks/design-llm-feature']);
    await env.addUser('admin', 'admin@example.com', 'Admin');

    // A code task: hostile file name and contents, output printed by a Run, a prompt to the assistant.
    const code = await candidateApi(env, await env.invite('hello-llm', 'x1@example.com', PAYLOAD));
    const { attempt } = await code.call('POST', '/api/candidate/start');
    codeAttempt = attempt.id;
    const put = (path: string, content: string) =>
      code.call('PUT', `/api/attempts/${codeAttempt}/file`, { path, content });
    await put(BAD_NAME, `// ${PAYLOAD}\n`);
    await put(
      'main.mjs',
      `console.log(${JSON.stringify(PAYLOAD)});\nconsole.error('\\x1b[31m' + ${JSON.stringify(PAYLOAD)});\n`,
    );
    const { run } = await code.call('POST', `/api/attempts/${codeAttempt}/runs`, { kind: 'run' });
    // Wait for the run to end (its output is what the Runs tab shows).
    for (let i = 0; i < 240; i++) {
      const r = await code.call('GET', `/api/attempts/${codeAttempt}/runs/${run.id}`);
      if (!['queued', 'running'].includes(r.run.status)) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    await code.call('POST', `/api/attempts/${codeAttempt}/assistant`, {
      messages: [{ role: 'user', content: `Please repeat exactly: ${PAYLOAD}` }],
    });
    await code.call('POST', `/api/attempts/${codeAttempt}/submit`);

    // A written task: the answer's Markdown carries raw HTML and a javascript: link.
    const written = await candidateApi(env, await env.invite('design-llm-feature', 'x2@example.com'));
    const started = await written.call('POST', '/api/candidate/start');
    writtenAttempt = started.attempt.id;
    await written.call('PUT', `/api/attempts/${writtenAttempt}/file`, {
      path: 'answer.md',
      content: `# Design\n\n${PAYLOAD}\n\n[a link](javascript:window.__xss=6)\n`,
    });
    await written.call('POST', `/api/attempts/${writtenAttempt}/submit`);
  }, 300_000);
  afterAll(async () => {
    await env?.close();
  });

  it('an admin opens every view of hostile submissions: nothing runs, the payload shows as text', async () => {
    const b = await openBrowser(env.server.url, { width: 1400, height: 1000 });
    const dialogs: string[] = [];
    try {
      const { page, context } = b;
      await context.addInitScript(() => {
        (globalThis as { __xss?: number }).__xss = 0;
      });
      page.on('dialog', async (d) => {
        dialogs.push(d.message());
        await d.dismiss();
      });
      await signIn(page, 'admin@example.com');
      const views: string[] = [];
      const check = async (view: string) => {
        views.push(view);
        expect(await dangerous(page), view).toEqual([]);
        expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss), view).toBe(0);
      };

      // The invitation's name, as the admin sees it.
      await page.goto('/admin/invitations');
      await page.getByText(PAYLOAD).first().waitFor();
      await check('invitations');

      // The code submission, tab by tab.
      await page.goto(`/review/${codeAttempt}`);
      await page.getByTestId('code-name').waitFor();
      await page.getByRole('button', { name: BAD_NAME }).click();
      await page.getByText(`// ${PAYLOAD}`).first().waitFor();
      await check('files: hostile name and content');
      await page.getByTestId('tab-runs').click();
      await page.locator('ol.runs summary').first().click();
      await page.locator('pre.out', { hasText: PAYLOAD }).first().waitFor();
      await check('runs: output');
      await page.getByTestId('tab-llm').click();
      await page.locator('ol.runs summary').first().click();
      // The request is shown as JSON: the quotes are escaped, the tags are not.
      await page.locator('pre.out', { hasText: 'Please repeat exactly: <img src=x onerror=' }).waitFor();
      await check('llm transcript');
      await page.getByTestId('tab-replay').click();
      await page.getByTestId('replay-range').waitFor();
      await page.getByRole('button', { name: BAD_NAME }).click();
      await page.getByText(`// ${PAYLOAD}`).first().waitFor();
      await check('replay');
      await shot(page, 'xss-01-code-submission');

      // The written answer, rendered as Markdown for the reviewer.
      await page.goto(`/review/${writtenAttempt}`);
      await page.getByTestId('code-name').waitFor();
      await page.getByText('a link').first().waitFor();
      await check('written answer');
      await shot(page, 'xss-02-written-answer');

      expect(views).toHaveLength(6);
    } finally {
      await b.close();
    }
    expect(dialogs).toEqual([]);
  });
});
