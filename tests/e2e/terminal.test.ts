/**
 * The Terminal tab in real Chromium against a real server and sandbox: type into xterm and see the
 * shell's output, reload and continue in the same shell (its directory and screen are still there),
 * and submit ends it — the socket is refused afterwards; the reviewer's replay shows the session. Needs Docker: the local fallback driver has
 * no terminal (server/http/routes/terminal.security.test.ts covers that refusal).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  attemptId,
  hasChromium,
  openBrowser,
  shot,
  signIn,
  startEnv,
  type Browsing,
  type Env,
} from './harness.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesReady } from '../helpers/docker.ts';

const docker = await sandboxesReady(['node']);

/** The text xterm shows (its DOM renderer draws one div per row). */
const screen = (page: Page) => page.locator('[data-testid=xterm] .xterm-rows').innerText();

async function typeInTerminal(page: Page, text: string) {
  await page.locator('[data-testid=xterm] .xterm-helper-textarea').focus();
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

async function openTerminalTab(page: Page) {
  await page.getByTestId('terminal-tab').click();
  await page.locator('[data-testid=xterm] .xterm-rows').waitFor();
}

describe.runIf(
  hasChromium() && needs('docker', docker, 'start dockerd, then npm run sandboxes:build -- --offline'),
)('terminal in the browser', () => {
  let env: Env;
  let b: Browsing;
  beforeAll(async () => {
    env = await startEnv(['tasks/hello-llm'], { SANDBOX_DRIVER: 'docker' });
  });
  afterAll(async () => {
    await b?.close();
    await env?.close();
  });

  it('runs a command, continues after a reload, and ends at submit', async () => {
    b = await openBrowser(env.server.url);
    const { page } = b;
    await page.goto(await env.invite('hello-llm', 'ada@example.com'));
    // The candidate is told before Start that the terminal is recorded.
    expect(await page.getByTestId('terminal-policy').innerText()).toMatch(/recorded and shown to reviewers/);
    await page.getByTestId('start').click();
    await page.locator('body[data-editor-ready=true]').waitFor();
    const id = await attemptId(page);

    await openTerminalTab(page);
    await expect.poll(() => screen(page), { timeout: 30_000 }).toMatch(/\/workspace \$/);
    await typeInTerminal(page, 'cd /tmp && echo e2e-$((6*7)) && id -u && ls /workspace');
    await expect.poll(() => screen(page), { timeout: 20_000 }).toMatch(/e2e-42\s+1000/);
    await expect.poll(() => screen(page), { timeout: 10_000 }).toContain('parse-model-json.mjs');
    await shot(page, 'terminal-01-command');

    // Reload: the same shell (still in /tmp), its screen replayed.
    await page.reload();
    await page.locator('body[data-editor-ready=true]').waitFor();
    await openTerminalTab(page);
    await expect.poll(() => page.getByTestId('terminal-status').innerText()).toMatch(/Reconnected/);
    // The screen is replayed just after the "ready" message that sets the status.
    await expect.poll(() => screen(page), { timeout: 10_000 }).toContain('e2e-42');
    await typeInTerminal(page, 'pwd; echo again-$((1+1))');
    await expect.poll(() => screen(page), { timeout: 20_000 }).toMatch(/\/tmp\s+again-2/);
    await shot(page, 'terminal-02-after-reload');

    // Submit ends it: the page moves on, and the terminal socket is refused from now on.
    await page.getByTestId('submit').click();
    await page.getByTestId('confirm-submit').click();
    await page.getByTestId('done-text').waitFor();
    const opened = await page.evaluate(
      (id) =>
        new Promise<boolean>((resolve) => {
          const ws = new WebSocket(`ws://${location.host}/api/attempts/${id}/terminal`);
          ws.onopen = () => resolve(true);
          ws.onclose = () => resolve(false);
        }),
      id,
    );
    expect(opened).toBe(false);

    // The reviewer's replay shows the terminal: the commands and what they printed.
    await env.addUser('admin', 'admin@example.com');
    const staff = await openBrowser(env.server.url);
    try {
      await signIn(staff.page, 'admin@example.com');
      await staff.page.goto(`/review/${id}`);
      await staff.page.getByTestId('tab-replay').click();
      await staff.page.getByTestId('replay-terminal').waitFor();
      const replay = await staff.page.getByTestId('replay-terminal').innerText();
      expect(replay).toContain('e2e-42');
      expect(replay).toContain('again-2');
      expect(replay).toContain('The attempt was submitted');
      await shot(staff.page, 'terminal-03-replay');
    } finally {
      await staff.close();
    }
  }, 240_000);
});
