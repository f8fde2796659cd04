/**
 * Runs under attack through the HTTP API (local driver): a burst of concurrent starts gets exactly one
 * run, and a reader reconnecting with Last-Event-ID never sees output twice — neither from the live
 * hub nor from the stored record once the hub has forgotten the run.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects, makeTestApp, type Browser, type TestApp } from '../testing/index.ts';
import { followEvents } from '../testing/sse.ts';
import { LocalDriver } from '../sandbox/index.ts';
import { silentLogger } from '../logger/index.ts';

describe('runs under attack (local driver)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp({ driver: new LocalDriver({ logger: silentLogger, useBwrap: false }) });
    await t.importExample();
  });
  afterEach(async () => {
    await t.app.runs.settle();
    await t.close();
  });

  it('50 concurrent starts of one attempt: exactly one run, the rest 409 with a clear message', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'run' }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    expect(answers.find((a) => a.status === 409)!.json.error).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/already in progress/),
    });
    await t.app.runs.settle();
    const history = await t.req(browser, 'GET', `/api/attempts/${attemptId}/runs`);
    expect(history.json.runs).toHaveLength(1);
    // Once it is done, the next run is accepted.
    const next = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'run' });
    expect(next.status).toBe(202);
  });

  /** The raw event stream: [id, event, data] per event. */
  async function rawEvents(who: Browser, url: string, lastEventId?: string) {
    const headers: Record<string, string> = {
      cookie: [...who.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const text = await (await t.app.request(url, { headers })).text();
    return text
      .split('\n\n')
      .filter(Boolean)
      .map((block) => ({
        id: /^id: (.*)$/m.exec(block)?.[1],
        event: /^event: (.*)$/m.exec(block)?.[1],
        data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null'),
      }));
  }

  it('reconnecting with Last-Event-ID shows only what is new, live and from the record', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const program =
      "console.log('first');\nawait new Promise((r) => setTimeout(r, 300));\nconsole.log('second');\n";
    await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, { path: 'main.mjs', content: program });
    const start = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'run' });
    const runId = start.json.run.id as string;
    await followEvents(t, browser, attemptId, runId);
    const url = `/api/attempts/${attemptId}/runs/${runId}/events`;
    const all = await rawEvents(browser, url);
    const outputs = all.filter((e) => e.event === 'stdout');
    expect(outputs.map((e) => e.data)).toEqual(['first\n', 'second\n']);
    const seenFirst = outputs[0]!.id!;

    const live = await rawEvents(browser, url, seenFirst);
    expect(live.filter((e) => e.event === 'stdout').map((e) => e.data)).toEqual(['second\n']);
    expect(live.at(-1)?.event).toBe('exit');

    t.app.runs.hub.forget(runId); // as after the hub's retention, or a restart
    const recorded = await rawEvents(browser, url, seenFirst);
    expect(recorded.filter((e) => e.event === 'stdout').map((e) => e.data)).toEqual(['second\n']);
    expect(recorded.at(-1)).toMatchObject({ event: 'exit', data: { verdict: 'ok' } });
    // Without an id, the record replays everything once.
    const fresh = await rawEvents(browser, url);
    expect(fresh.filter((e) => e.event === 'stdout').map((e) => e.data)).toEqual(['first\nsecond\n']);
  });
});

describe.each(dialects())('one unfinished run per attempt in the database (%s)', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp({ dialect });
    await t.importExample();
  });
  afterEach(() => t.close());

  it('refuses a second queued or running run of one attempt, as a second server process would try', async () => {
    const { attemptId } = await t.startedCandidate();
    const row = (id: string, status: 'queued' | 'running' | 'done') => ({
      id,
      attempt_id: attemptId,
      kind: 'run' as const,
      argv_json: '[]',
      status,
      verdict: null,
      exit_code: null,
      duration_ms: null,
      stdout: '',
      stderr: '',
      output_truncated: 0,
      created_at: 1,
      finished_at: null,
    });
    await t.ctx.db.insertInto('runs').values(row('run_a', 'queued')).execute();
    await expect(t.ctx.db.insertInto('runs').values(row('run_b', 'running')).execute()).rejects.toThrow(
      /unique|duplicate/i,
    );
    // Finished runs do not count.
    await t.ctx.db.updateTable('runs').set({ status: 'done' }).where('id', '=', 'run_a').execute();
    await t.ctx.db.insertInto('runs').values(row('run_b', 'queued')).execute();
    await t.ctx.db.insertInto('runs').values(row('run_c', 'done')).execute();
  });
});
