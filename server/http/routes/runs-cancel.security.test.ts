/** Cancelling a live Run: only the candidate who owns the attempt may stop it (issue 11, item 9). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import { followEvents } from '../../testing/sse.ts';
import { LocalDriver } from '../../sandbox/index.ts';
import { silentLogger } from '../../logger/index.ts';

describe('cancelling a run (security)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp({ driver: new LocalDriver({ logger: silentLogger, useBwrap: false }) });
    await t.importExample();
  });
  afterEach(() => t.close());

  it('refuses admins, authors, assigned and other reviewers and other candidates; the run goes on', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    // Everyone who tries to cancel signs in before the run starts, so the run is still well inside its
    // wall-clock limit when they try, however slow sign-ins are on a busy machine.
    const admin = await t.staff('admin');
    const author = await t.staff('author');
    const assigned = await t.staff('reviewer', 'assigned@example.com');
    const outsider = await t.staff('reviewer');
    const user = await t.ctx.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'assigned@example.com')
      .executeTakeFirstOrThrow();
    await t.ctx.db
      .insertInto('review_assignments')
      .values({ attempt_id: attemptId, reviewer_id: user.id, assigned_at: 0, due_at: 1, assigned_by: null })
      .execute();
    const other = await t.startedCandidate('Mallory', 'mallory@example.com');
    // A program that echoes stdin until its input closes: it runs until someone ends it.
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'main.mjs',
      content: "process.stdin.on('data', (d) => console.log('got ' + d.toString().trim()));\n",
    });
    const run = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, {
      kind: 'run',
      interactive: true,
    });
    const id = run.json.run.id as string;
    let sent = 0;
    for (let i = 0; i < 400 && sent !== 204; i++) {
      sent = (await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs/${id}/stdin`, { data: 'a\n' }))
        .status;
      if (sent !== 204) await new Promise((r) => setTimeout(r, 25));
    }
    expect(sent).toBe(204); // the run is live

    const url = `/api/attempts/${attemptId}/runs/${id}/cancel`;
    for (const staff of [admin, author, assigned])
      expectError(await t.req(staff, 'POST', url), 403, 'forbidden', /only the candidate/);
    expectError(await t.req(outsider, 'POST', url), 404, 'not_found');
    expectError(await t.req(other.browser, 'POST', url), 404, 'not_found');

    // Still running: it answers stdin, and the owner can end it.
    expect(
      (await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs/${id}/stdin`, { data: 'b\n' })).status,
    ).toBe(204);
    const ended = followEvents(t, browser, attemptId, id);
    expect((await t.req(browser, 'POST', url)).status).toBe(204);
    expect((await ended).at(-1)).toMatchObject({ event: 'exit', data: { verdict: 'cancelled' } });
  });
});
