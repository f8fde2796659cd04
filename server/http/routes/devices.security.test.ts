/**
 * Reopening a started link from another browser (issue 11, item 6): every new browser is an
 * `attempt.device` event reviewers see, and a task locked to its first browser refuses the others.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exampleTaskDir, makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

const fresh = (): Browser => ({ cookies: new Map() });

describe('browsers opening an attempt (security)', () => {
  let t: TestApp;
  let dir: string | undefined;
  afterEach(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** Opens the link like a browser (GET /i/<token>), keeping cookies; returns the response. */
  const openLink = (b: Browser, token: string, ua: string) =>
    t.req(b, 'GET', `/i/${token}`, undefined, { 'user-agent': ua });
  const csrfOf = async (b: Browser, ua: string) => {
    const r = await t.req(b, 'GET', '/api/candidate', undefined, { 'user-agent': ua });
    b.csrf = r.json?.csrfToken;
    return r;
  };
  const deviceEvents = async (who: Browser, attemptId: string) => {
    const r = await t.req(who, 'GET', `/api/attempts/${attemptId}/events`);
    expect(r.status).toBe(200);
    return (r.json.events as Array<{ type: string; payload: any }>).filter(
      (e) => e.type === 'attempt.device',
    );
  };

  it('records each new browser that opens a started attempt, and shows them to an assigned reviewer', async () => {
    t = await makeTestApp();
    await t.importExample();
    const reviewers = [await t.staff('reviewer'), await t.staff('reviewer')];
    const { token } = await t.invite();

    const laptop = fresh();
    expect((await openLink(laptop, token, CHROME)).status).toBe(303);
    expect(laptop.cookies.get('ws_device')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    await csrfOf(laptop, CHROME);
    const start = await t.req(laptop, 'POST', '/api/candidate/start', undefined, { 'user-agent': CHROME });
    const attemptId = start.json.attempt.id as string;

    // The same browser reopening the link is not a new device.
    expect((await openLink(laptop, token, CHROME)).status).toBe(303);
    await csrfOf(laptop, CHROME);

    // A second browser opens the started link: it gets in (not locked) and is recorded.
    const other = fresh();
    expect((await openLink(other, token, FIREFOX)).status).toBe(303);
    expect((await csrfOf(other, FIREFOX)).status).toBe(200);
    expect(other.cookies.get('ws_device')).not.toBe(laptop.cookies.get('ws_device'));

    const seen = await deviceEvents(laptop, attemptId);
    expect(seen.map((e) => e.payload)).toEqual([
      expect.objectContaining({ browser: 1, via: 'start', userAgent: CHROME, refused: false }),
      expect.objectContaining({ browser: 2, via: 'link', userAgent: FIREFOX, refused: false }),
    ]);
    expect(seen[0]!.payload.device).not.toBe(seen[1]!.payload.device);
    // Only a short label is stored, never the cookie itself.
    const stored = JSON.stringify(await t.ctx.db.selectFrom('attempt_events').selectAll().execute());
    expect(stored).not.toContain(laptop.cookies.get('ws_device')!);
    expect(stored).not.toContain(other.cookies.get('ws_device')!);

    // After submit, the assigned reviewers see both browsers on the timeline.
    await t.req(laptop, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.app.runs.settle();
    for (const r of reviewers) {
      const events = await deviceEvents(r, attemptId);
      expect(events.map((e) => e.payload.browser)).toEqual([1, 2]);
      expect(events[1]!.payload.userAgent).toBe(FIREFOX);
    }
  });

  it('refuses a second browser on a task locked to the first browser, and records the refusal', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ws-locked-'));
    const taskDir = path.join(dir, 'hello-llm');
    await cp(exampleTaskDir, taskDir, { recursive: true });
    const yaml = await readFile(path.join(taskDir, 'task.yaml'), 'utf8');
    await writeFile(path.join(taskDir, 'task.yaml'), `${yaml}\nintegrity:\n  lockToFirstBrowser: true\n`);
    t = await makeTestApp();
    await t.importExample(taskDir);
    const { token } = await t.invite();

    // A second browser opened the link before the start: its session ends when the first one starts.
    const early = fresh();
    expect((await openLink(early, token, FIREFOX)).status).toBe(303);
    const laptop = fresh();
    await openLink(laptop, token, CHROME);
    await csrfOf(laptop, CHROME);
    const start = await t.req(laptop, 'POST', '/api/candidate/start', undefined, { 'user-agent': CHROME });
    const attemptId = start.json.attempt.id as string;
    expectError(await t.req(early, 'GET', '/api/candidate'), 401, 'unauthenticated');

    // Opening the link again from that browser: a clear page, 409, no session.
    const page = await openLink(early, token, FIREFOX);
    expect(page.status).toBe(409);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('This attempt is open in another browser');
    expect(page.headers.getSetCookie().some((c) => c.startsWith('ws_candidate='))).toBe(false);
    // The JSON route says the same.
    const api = await t.req(fresh(), 'POST', '/api/invitations/open', { token }, { 'user-agent': FIREFOX });
    expectError(api, 409, 'open_elsewhere', /open in another browser/);
    // Reloading the refusal page does not flood the timeline.
    await openLink(early, token, FIREFOX);

    // The first browser carries on.
    expect((await openLink(laptop, token, CHROME)).status).toBe(303);
    await csrfOf(laptop, CHROME);
    const put = await t.req(laptop, 'PUT', `/api/attempts/${attemptId}/file`, { path: 'a.md', content: 'x' });
    expect(put.status).toBe(200);

    const events = await deviceEvents(laptop, attemptId);
    expect(events.map((e) => [e.payload.browser, e.payload.userAgent, e.payload.refused])).toEqual([
      [1, CHROME, false],
      [0, FIREFOX, true],
      [0, FIREFOX, true], // the JSON open was a different browser (no device cookie yet)
    ]);
  });
});
