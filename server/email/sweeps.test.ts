/**
 * The submission tail (unit, with the in-memory mailer): late commits are not skipped, a confirmation
 * is queued once however often the tail runs, and submissions from before email was on are not
 * confirmed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../testing/index.ts';
import { memoryMailer } from './transport.ts';
import { tailSubmissions } from './sweeps.ts';

describe('submission tail', () => {
  let t: TestApp;
  const mailer = memoryMailer();
  beforeEach(async () => {
    mailer.sent.length = 0;
    t = await makeTestApp({ mailer });
    await t.importExample();
  });
  afterEach(() => t.close());

  const maxId = async () =>
    Number(
      (
        await t.ctx.db
          .selectFrom('attempt_events')
          .select((eb) => eb.fn.max('id').as('id'))
          .executeTakeFirst()
      )?.id ?? 0,
    );
  const confirmations = () => mailer.sent.filter((m) => m.subject.startsWith('We received'));

  it('confirms a submission whose event id is below the cursor (committed late), once', async () => {
    const c = await t.startedCandidate('Ada', 'ada@example.com');
    await t.services.email.start();
    await t.services.settle();
    const at = await maxId();
    // A later transaction took id at+10 and committed first; the tail moves past it.
    await t.ctx.db
      .insertInto('attempt_events')
      .values({
        id: at + 10,
        attempt_id: c.attemptId,
        at: 0,
        type: 'note',
        path: null,
        sha256: null,
        revision: null,
        payload_json: '{}',
      } as never)
      .execute();
    await tailSubmissions(t.ctx);
    // The submit's event commits now, with the lower id it took earlier.
    await t.ctx.db
      .insertInto('attempt_events')
      .values({
        id: at + 5,
        attempt_id: c.attemptId,
        at: t.clock.now(),
        type: 'attempt.submitted',
        path: null,
        sha256: null,
        revision: null,
        payload_json: JSON.stringify({ reason: 'candidate' }),
      } as never)
      .execute();
    for (let i = 0; i < 3; i++) await tailSubmissions(t.ctx);
    t.services.email.kick();
    await t.services.settle();
    expect(confirmations().map((m) => m.to)).toEqual(['ada@example.com']);
  });

  it('does not confirm submissions made before email was first on', async () => {
    const c = await t.startedCandidate('Ada', 'ada@example.com');
    await t.req(c.browser, 'POST', `/api/attempts/${c.attemptId}/submit`);
    await t.services.settle();
    // The first tail sets its starting point; the earlier submission is history.
    await t.ctx.db.deleteFrom('email_cursor').execute();
    await t.services.email.start();
    await tailSubmissions(t.ctx);
    await t.services.settle();
    expect(confirmations()).toEqual([]);
  });
});
