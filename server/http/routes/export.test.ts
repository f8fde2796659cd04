/** Results export: contents and CSV format (happy), bad queries (error), roles and blind identities (security). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import { codeName } from '../../reviews/index.ts';
import { parseCsv } from '../../invitations/csv.ts';

const review = (levels: [number, number, number], recommendation: number) => ({
  levels: {
    correctness: { level: levels[0], evidence: 'seen in the tests' },
    'error-handling': { level: levels[1], evidence: 'specific messages' },
    clarity: { level: levels[2], evidence: 'reads well' },
  },
  recommendation,
});
// Weights in tasks/hello-llm: correctness 2, error-handling 1, clarity 1; score = Σ w·(level−1)/3 / Σ w · 100.
const score = (l: [number, number, number]) => ((2 * (l[0] - 1) + (l[1] - 1) + (l[2] - 1)) / 3 / 4) * 100;
const REASON = '=HYPERLINK("http://evil.example","click"), said both';

/** Parses the CSV body into objects keyed by the header row. */
function rowsOf(text: string) {
  const [header, ...rows] = parseCsv(text).map((r) => r.fields);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]])));
}

describe('export', () => {
  let t: TestApp;
  let admin: Browser;
  let author: Browser;
  let decided: string;
  let pending: string;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
    admin = await t.staff('admin');
    author = await t.staff('author');
    const reviewers = [await t.staff('reviewer'), await t.staff('reviewer')];
    const submit = async (name: string, email: string) => {
      const c = await t.startedCandidate(name, email);
      t.clock.advance(60_000);
      expect((await t.req(c.browser, 'POST', `/api/attempts/${c.attemptId}/submit`)).status).toBe(200);
      await t.services.runs.settle();
      return c.attemptId;
    };
    decided = await submit('Hopper, Grace', 'grace@example.com');
    pending = await submit('Alan Turing', 'turing@example.com');
    await t.startedCandidate('Still Working', 'working@example.com');
    await t.ctx.db
      .updateTable('grades')
      .set({ status: 'done', verdict: 'passed', passed: 5, failed: 0 })
      .where('attempt_id', '=', decided)
      .execute();
    const levels: Array<[number, number, number]> = [
      [3, 4, 2],
      [4, 3, 3],
    ];
    for (const [i, r] of reviewers.entries()) {
      await t.req(r, 'PUT', `/api/reviews/${decided}/mine`, review(levels[i]!, 3 + i));
      expect((await t.req(r, 'POST', `/api/reviews/${decided}/mine/submit`)).status).toBe(200);
    }
    await t.req(reviewers[0]!, 'PUT', `/api/reviews/${pending}/mine`, review([1, 1, 1], 1));
    await t.req(reviewers[0]!, 'POST', `/api/reviews/${pending}/mine/submit`);
    await t.req(reviewers[1]!, 'PUT', `/api/reviews/${pending}/mine`, review([4, 4, 4], 4)); // a draft: not counted
    const d = await t.req(admin, 'POST', `/api/reviews/${decided}/decision`, {
      decision: 'advance',
      reason: REASON,
    });
    expect(d.status, d.text).toBe(200);
  });
  afterEach(() => t.close());

  describe('happy', () => {
    it('admin CSV: a download with a header, one row per submitted attempt, means, decision and identity once decided', async () => {
      const r = await t.req(admin, 'GET', '/api/export?format=csv');
      expect(r.status, r.text).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(r.headers.get('content-disposition')).toBe('attachment; filename="worksample-export.csv"');
      expect(r.text.split('\r\n')[0]).toBe(
        'codeName,externalId,name,email,task,version,submittedAt,gradeStatus,verdict,passed,failed,' +
          'crit:correctness,crit:error-handling,crit:clarity,weightedScore,reviewers,recommendation,decision,reason',
      );
      const rows = rowsOf(r.text);
      expect(rows.map((x) => x.codeName)).toEqual([codeName(decided), codeName(pending)]);
      const mean = Math.round(((score([3, 4, 2]) + score([4, 3, 3])) / 2) * 100) / 100;
      expect(rows[0]).toEqual({
        codeName: codeName(decided),
        externalId: '',
        name: 'Hopper, Grace',
        email: 'grace@example.com',
        task: 'hello-llm',
        version: '1',
        submittedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        gradeStatus: 'done',
        verdict: 'passed',
        passed: '5',
        failed: '0',
        'crit:correctness': '3.5',
        'crit:error-handling': '3.5',
        'crit:clarity': '2.5',
        weightedScore: String(mean),
        reviewers: '2',
        recommendation: '3.5',
        decision: 'advance',
        reason: `'${REASON}`,
      });
      expect(rows[1]).toMatchObject({
        name: '',
        email: '',
        gradeStatus: 'queued',
        'crit:correctness': '1',
        weightedScore: '0',
        reviewers: '1',
        recommendation: '1',
        decision: '',
        reason: '',
      });
      // RFC 4180 quoting on the wire: a comma-holding name and a quote-holding reason are quoted.
      expect(r.text).toContain('"Hopper, Grace"');
      expect(r.text).toContain(`"'=HYPERLINK(""http://evil.example"",""click""), said both"`);
    });

    it('admin JSON: the same rows as data, filtered by task; each identity reveal is recorded', async () => {
      const r = await t.req(admin, 'GET', '/api/export?format=json&task=hello-llm');
      expect(r.status, r.text).toBe(200);
      expect(r.json.identities).toBe(true);
      expect(r.json.criteria).toEqual(['correctness', 'error-handling', 'clarity']);
      expect(r.json.rows).toHaveLength(2);
      expect(r.json.rows[0]).toMatchObject({
        name: 'Hopper, Grace',
        grade: { status: 'done', verdict: 'passed', passed: 5, failed: 0 },
        criteria: { correctness: 3.5, 'error-handling': 3.5, clarity: 2.5 },
        reason: REASON,
      });
      expect(r.json.rows[1]).toMatchObject({ name: null, email: null, decision: null });
      const reveals = await t.ctx.db
        .selectFrom('attempt_events')
        .select(['attempt_id', 'payload_json'])
        .where('type', '=', 'identity.revealed')
        .execute();
      expect(reveals.filter((e) => e.payload_json.includes('export')).map((e) => e.attempt_id)).toEqual([
        decided,
      ]);
    });
  });

  describe('errors', () => {
    it('refuses an unknown format or task with a clear message', async () => {
      expectError(await t.req(admin, 'GET', '/api/export?format=xml'), 400, 'validation_failed', /format/);
      expectError(
        await t.req(admin, 'GET', '/api/export?task=nope'),
        404,
        'not_found',
        /task nope not found/,
      );
    });
  });

  describe('security', () => {
    it('gives authors the same export with every identity blank, even after the decision', async () => {
      const csv = await t.req(author, 'GET', '/api/export?format=csv');
      expect(csv.status).toBe(200);
      expect(rowsOf(csv.text).map((x) => [x.codeName, x.name, x.email, x.decision])).toEqual([
        [codeName(decided), '', '', 'advance'],
        [codeName(pending), '', '', ''],
      ]);
      const json = await t.req(author, 'GET', '/api/export?format=json');
      expect(json.json.identities).toBe(false);
      for (const text of [csv.text, json.text])
        expect(text).not.toMatch(/Grace|Hopper|grace@|Turing|turing@/);
    });

    it('never puts an undecided candidate (or an unsubmitted one) in an admin export', async () => {
      for (const format of ['csv', 'json']) {
        const r = await t.req(admin, 'GET', `/api/export?format=${format}`);
        expect(r.text).not.toMatch(/Alan|Turing|turing@|Still Working|working@/);
      }
    });

    it('refuses reviewers (403), candidates and anonymous callers (401)', async () => {
      const reviewer = await t.staff('reviewer');
      const { browser: candidate } = await t.startedCandidate('Mallory', 'm@example.com');
      for (const format of ['csv', 'json']) {
        const url = `/api/export?format=${format}`;
        expectError(await t.req(reviewer, 'GET', url), 403, 'forbidden');
        expectError(await t.req(candidate, 'GET', url), 401, 'unauthenticated');
        expectError(await t.req({ cookies: new Map() }, 'GET', url), 401, 'unauthenticated');
      }
    });
  });
});
