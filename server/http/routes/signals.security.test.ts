/**
 * Integrity signals under attack through the HTTP API: the candidate controls every byte of these
 * reports, so anything but the two numeric kinds is refused, the timeline stays bounded, durations
 * cannot exceed the attempt, and only the owner of an open attempt may report.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../testing/index.ts';
import { MAX_BATCH, MAX_PER_ATTEMPT } from '../../attempts/index.ts';

describe('integrity signals (security)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
  });
  afterEach(async () => {
    await t.close();
  });

  const signals = (id: string) => `/api/attempts/${id}/signals`;
  async function integrityEvents(attemptId: string) {
    const admin = await t.staff('admin');
    const r = await t.req(admin, 'GET', `/api/attempts/${attemptId}/events`);
    return (r.json.events as { type: string; at: number; payload: Record<string, unknown> }[]).filter((e) =>
      e.type.startsWith('integrity.'),
    );
  }

  it('records a large paste (size only) and time away, stamped by the server clock', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    t.clock.advance(10 * 60_000);
    const r = await t.req(browser, 'POST', signals(attemptId), {
      signals: [
        { kind: 'paste', chars: 1200 },
        { kind: 'away', reason: 'hidden', ms: 95_000 },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ stored: 2 });
    const events = await integrityEvents(attemptId);
    expect(events.map((e) => [e.type, e.payload])).toEqual([
      ['integrity.paste', { kind: 'paste', chars: 1200 }],
      ['integrity.away', { kind: 'away', reason: 'hidden', ms: 95_000 }],
    ]);
    expect(events.every((e) => e.at === t.clock.now())).toBe(true);
  });

  it('refuses markup, extra fields, unknown kinds, small pastes and oversized batches', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const bad = [
      { signals: [{ kind: 'paste', chars: 500, text: '<img src=x onerror=alert(1)>' }] },
      { signals: [{ kind: '<script>alert(1)</script>', chars: 500 }] },
      { signals: [{ kind: 'away', reason: '<b>lunch</b>', ms: 1000 }] },
      { signals: [{ kind: 'away', reason: 'hidden', ms: '1000' }] },
      { signals: [{ kind: 'paste', chars: 12 }] },
      { signals: [{ kind: 'paste', chars: -1 }] },
      { signals: [{ kind: 'paste', chars: 500 }], at: 0 },
      { signals: [] },
      { signals: Array.from({ length: MAX_BATCH + 1 }, () => ({ kind: 'paste', chars: 500 })) },
    ];
    for (const body of bad) {
      const r = await t.req(browser, 'POST', signals(attemptId), body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    expect(await integrityEvents(attemptId)).toEqual([]);
  });

  it(`keeps at most ${MAX_PER_ATTEMPT} signals per attempt and never more time away than has passed`, async () => {
    const { browser, attemptId } = await t.startedCandidate();
    t.clock.advance(60_000);
    const batch = {
      signals: Array.from({ length: MAX_BATCH }, () => ({ kind: 'away', reason: 'blur', ms: 3_600_000 })),
    };
    let stored = 0;
    for (let i = 0; i < MAX_PER_ATTEMPT / MAX_BATCH + 2; i++)
      stored += (await t.req(browser, 'POST', signals(attemptId), batch)).json.stored as number;
    expect(stored).toBe(MAX_PER_ATTEMPT);
    const events = await integrityEvents(attemptId);
    expect(events).toHaveLength(MAX_PER_ATTEMPT);
    expect(Math.max(...events.map((e) => e.payload.ms as number))).toBe(60_000);
  });

  it('only the owning candidate of an open attempt reports', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const other = await t.startedCandidate('Grace Hopper', 'grace@example.com');
    const body = { signals: [{ kind: 'paste', chars: 500 }] };
    expect((await t.req(other.browser, 'POST', signals(attemptId), body)).status).toBe(404);
    const admin = await t.staff('admin');
    expect((await t.req(admin, 'POST', signals(attemptId), body)).status).toBe(403);
    expect((await t.req(undefined, 'POST', signals(attemptId), body)).status).toBe(401);
    await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    expect((await t.req(browser, 'POST', signals(attemptId), body)).status).toBe(409);
    expect(await integrityEvents(attemptId)).toEqual([]);
  });
});
