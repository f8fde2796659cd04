/**
 * The terminal socket under attack, through a real listening server (a WebSocket upgrade cannot go
 * through app.request()): only the owning candidate, only from this site's pages, only while the
 * attempt is open and only when the task has a terminal. A refused upgrade never gets a socket.
 * The shell is a fake (no Docker); tests/runs/terminal.test.ts drives a real one.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exampleTaskDir, makeTestApp, type TestApp } from '../../testing/index.ts';
import { fakeShellDriver, listenTestApp, openTerminal } from '../../testing/terminal.ts';
import { LocalDriver } from '../../sandbox/index.ts';
import { silentLogger } from '../../logger/index.ts';
import { freePort } from '../../../tests/helpers/process.ts';
import type { Listening } from '../listen.ts';

describe('terminal socket security', () => {
  let t: TestApp;
  let server: Listening | undefined;
  let dir: string | undefined;
  let driver: ReturnType<typeof fakeShellDriver>;

  async function setUp(opts: { fake?: boolean; taskYamlExtra?: string } = {}) {
    const port = await freePort();
    const local = new LocalDriver({ logger: silentLogger, useBwrap: false });
    driver = fakeShellDriver(local);
    t = await makeTestApp({
      driver: opts.fake === false ? local : driver,
      env: { PUBLIC_URL: `http://127.0.0.1:${port}` },
    });
    if (opts.taskYamlExtra) {
      dir = await mkdtemp(path.join(os.tmpdir(), 'ws-term-'));
      const taskDir = path.join(dir, 'hello-llm');
      await cp(exampleTaskDir, taskDir, { recursive: true });
      const yaml = await readFile(path.join(taskDir, 'task.yaml'), 'utf8');
      await writeFile(path.join(taskDir, 'task.yaml'), `${yaml}\n${opts.taskYamlExtra}\n`);
      await t.importExample(taskDir);
    } else await t.importExample();
    server = await listenTestApp(t);
  }

  afterEach(async () => {
    await t.services.terminal.close();
    await server?.close(100);
    server = undefined;
    await t.services.runs.settle();
    await t.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const refused = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('the upgrade was accepted');
      },
      (err: { status?: number }) => err.status,
    );

  it('opens for the owning candidate from the site itself (the baseline the attacks below differ from)', async () => {
    await setUp();
    const { browser, attemptId } = await t.startedCandidate();
    const term = await openTerminal(t, attemptId, browser);
    term.type('ls\r');
    await term.waitFor(/ran: ls/);
    term.close();
  });

  it("refuses another candidate's attempt with 404, like a missing one", async () => {
    await setUp();
    const { attemptId } = await t.startedCandidate('Ada', 'ada@example.com');
    const other = await t.startedCandidate('Eve', 'eve@example.com');
    expect(await refused(openTerminal(t, attemptId, other.browser))).toBe(404);
    expect(await refused(openTerminal(t, 'att_missing', other.browser))).toBe(404);
    expect(driver.shells).toHaveLength(0);
  });

  it('refuses staff (a reviewer or admin watching must not type into the shell) and nobody at all', async () => {
    await setUp();
    const { attemptId } = await t.startedCandidate();
    const admin = await t.staff('admin');
    expect(await refused(openTerminal(t, attemptId, admin))).toBe(403);
    expect(await refused(openTerminal(t, attemptId, undefined))).toBe(401);
    expect(driver.shells).toHaveLength(0);
  });

  it('refuses a page on another origin (cross-site WebSocket hijacking) and a missing Origin', async () => {
    await setUp();
    const { browser, attemptId } = await t.startedCandidate();
    const own = new URL(t.config.publicUrl);
    for (const origin of [
      'https://evil.example',
      `http://127.0.0.1:${Number(own.port) + 1}`,
      `https://${own.host}`,
      `http://${own.host}.evil.example`,
      'null',
      null,
    ]) {
      expect(await refused(openTerminal(t, attemptId, browser, { origin })), String(origin)).toBe(403);
    }
    expect(driver.shells).toHaveLength(0);
  });

  it('refuses after submit with 409, and a submit ends an open terminal with the reason', async () => {
    await setUp();
    const { browser, attemptId } = await t.startedCandidate();
    const term = await openTerminal(t, attemptId, browser);
    await term.waitFor(/\$ /);
    expect((await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`)).status).toBe(200);
    expect(await term.closed).toEqual({ code: 4000, reason: 'attempt over' });
    expect(term.messages.at(-1)).toEqual({
      t: 'ended',
      reason: 'The attempt was submitted: the terminal is closed.',
      final: true,
    });
    expect(driver.shells[0]!.killed).toBe(true);
    expect(await refused(openTerminal(t, attemptId, browser))).toBe(409);
    expect(driver.shells).toHaveLength(1);
  });

  it('refuses with 404 when the task has terminal: false', async () => {
    await setUp({ taskYamlExtra: 'terminal: false' });
    const { browser, attemptId } = await t.startedCandidate();
    expect(await refused(openTerminal(t, attemptId, browser))).toBe(404);
    const view = await t.req(browser, 'GET', '/api/candidate');
    expect(view.json.task.terminal).toBe(false);
  });

  it('never gives a host shell on the local driver: the socket says why and closes', async () => {
    await setUp({ fake: false });
    const { browser, attemptId } = await t.startedCandidate();
    const term = await openTerminal(t, attemptId, browser);
    expect((await term.closed).code).toBe(4000);
    expect(term.messages).toEqual([
      { t: 'ended', reason: expect.stringMatching(/needs the Docker sandbox/), final: true },
    ]);
  });

  it('closes the socket on a malformed or oversized message', async () => {
    await setUp();
    const { browser, attemptId } = await t.startedCandidate();
    const term = await openTerminal(t, attemptId, browser);
    term.send({ t: 'exec', argv: ['id'] });
    expect((await term.closed).code).toBe(1008);
    const big = await openTerminal(t, attemptId, browser);
    big.type('x'.repeat(200 * 1024));
    expect((await big.closed).code).toBe(1009);
  });

  it('a shell still starting when the attempt is submitted is ended, and its sandbox given back', async () => {
    await setUp();
    const { browser, attemptId } = await t.startedCandidate();
    let open!: () => void;
    driver.gate = new Promise<void>((resolve) => (open = resolve));
    const term = await openTerminal(t, attemptId, browser);
    await expect.poll(() => t.services.sandbox.existing(attemptId)).toBeDefined();
    expect((await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`)).status).toBe(200);
    open();
    expect((await term.closed).code).toBe(4000);
    expect(term.messages).toContainEqual(expect.objectContaining({ t: 'ended', final: true }));
    await t.services.runs.settle();
    expect(driver.shells.every((s) => s.killed)).toBe(true);
    expect(t.services.sandbox.existing(attemptId)).toBeUndefined();
    expect(t.services.terminal.open).toBe(0);
  });
});
