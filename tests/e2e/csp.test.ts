/**
 * The Content-Security-Policy (server/http/csp.ts) in real Chromium: the candidate workspace (Monaco
 * and its language worker, typing, autosave, Run with streamed output, submit) and the staff pages
 * (review queue, submission files/diff, replay, admin tasks and invitations) work with zero CSP
 * violations, and an injected inline script is refused (so the listener can see a violation).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import {
  attemptId,
  hasChromium,
  openBrowser,
  saved,
  serverFile,
  startEnv,
  typeInEditor,
  type Browsing,
  type Env,
  signIn,
} from './harness.ts';

const FILE = 'parse-model-json.mjs';

/** Records every securitypolicyviolation event (pages and workers) and CSP console errors. */
async function watchCsp(context: BrowserContext, page: Page) {
  const seen: string[] = [];
  await context.addInitScript(() => {
    (globalThis as { __csp?: string[] }).__csp = [];
    globalThis.addEventListener('securitypolicyviolation', (e) => {
      (globalThis as unknown as { __csp: string[] }).__csp.push(
        `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`,
      );
    });
  });
  page.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) seen.push(`console: ${m.text()}`);
  });
  page.on('worker', (w) =>
    w.on('console', (m) => {
      if (/Content[- ]Security[- ]Policy/i.test(m.text())) seen.push(`worker console: ${m.text()}`);
    }),
  );
  return async () => [
    ...seen,
    ...(await page.evaluate(() => (globalThis as { __csp?: string[] }).__csp ?? [])),
  ];
}

describe.runIf(hasChromium())('Content-Security-Policy in the browser', () => {
  let env: Env;
  let b: Browsing | undefined;
  let submitted: string | undefined;
  beforeAll(async () => {
    env = await startEnv(['tasks/hello-llm']);
    await env.addUser('admin', 'admin@example.com');
  });
  afterAll(async () => {
    await b?.close();
    await env?.close();
  });

  it('sends the policy on HTML pages', async () => {
    for (const url of ['/', '/review', '/admin/tasks']) {
      const res = await fetch(new URL(url, env.server.url));
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      for (const d of [
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
      ])
        expect(csp, url).toContain(d);
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    }
  });

  it('the candidate workspace works (Monaco, its worker, typing, Run, submit) with no violation', async () => {
    b = await openBrowser(env.server.url);
    const { page, context } = b;
    const violations = await watchCsp(context, page);
    const worker = page.waitForEvent('worker');
    await page.goto(await env.invite('hello-llm', 'ada@example.com'));
    await page.getByTestId('landing').waitFor();
    await page.getByTestId('start').click();
    await page.locator('body[data-editor-ready=true]').waitFor();
    // Monaco's language worker started (worker-src allows it) and colours the code.
    expect((await worker).url()).toMatch(/\/assets\/.*worker.*\.js$/);
    await page.locator('.monaco-editor .mtk1').first().waitFor();
    const id = await attemptId(page);
    submitted = id;
    await typeInEditor(page, '\n// typed-under-csp\n');
    await saved(page);
    expect(await serverFile(page, id, FILE)).toContain('// typed-under-csp');
    await page.getByTestId('run').click();
    await page.getByTestId('verdict').waitFor();
    expect(await page.getByTestId('output').innerText()).toContain('not implemented');
    await page.getByTestId('submit').click();
    await page.getByTestId('confirm-submit').click();
    await page.getByTestId('done').waitFor();
    expect(await violations()).toEqual([]);
    await b.close();
    b = undefined;
  });

  it('the staff pages work with no violation, and an injected inline script is refused', async () => {
    b = await openBrowser(env.server.url, { width: 1400, height: 1000 });
    const { page, context } = b;
    const violations = await watchCsp(context, page);
    await signIn(page, 'admin@example.com');

    // The submission the candidate test made: files with the diff, then the replay.
    expect(submitted).toBeTruthy();
    await page.goto(`/review/${submitted}`);
    await page.getByRole('button', { name: FILE }).click();
    await page.locator('.d-add', { hasText: 'typed-under-csp' }).waitFor();
    await page.getByTestId('tab-replay').click();
    await page.getByTestId('replay-range').waitFor();
    await page.goto('/admin/tasks');
    await page.getByText('hello-llm').first().waitFor();
    await page.goto('/admin/invitations');
    await page.getByText('ada@example.com').first().waitFor();
    expect(await violations()).toEqual([]);

    // The listener does see violations: an injected inline script is blocked and reported.
    const ran = await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__injected = true';
      document.body.append(s);
      return (window as { __injected?: boolean }).__injected === true;
    });
    expect(ran).toBe(false);
    await expect.poll(async () => (await violations()).join('\n')).toMatch(/script-src/);
  });
});
