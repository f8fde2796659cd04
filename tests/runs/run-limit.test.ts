/**
 * The run limit and the sandbox queue against a real `worksample serve` process on loopback with the
 * real Docker engine (issue 11, item 2). 50 starts of one attempt written at once on separate sockets
 * get exactly one run; with one sandbox slot, another candidate's Run waits first in line (its place
 * shown on the run and in its event stream) and starts as soon as the slot frees, while the flooding
 * attempt cannot queue anything more.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServe, tempDir, type ServerProcess } from '../helpers/process.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesHint, sandboxesReady } from '../helpers/docker.ts';
import { hostFirewall } from '../../server/sandbox/index.ts';
import { readSse, type SseEvent } from '../../server/testing/sse.ts';

const ready = (await sandboxesReady(['node'])) && Boolean((await hostFirewall())?.available);

interface Candidate {
  cookie: string;
  csrf: string;
  attemptId: string;
}

/** One request on its own socket (no keep-alive pool), as 50 separate clients would send it. */
function request(
  url: string,
  method: string,
  who: Candidate,
  body?: unknown,
): Promise<{ status: number; json: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent: false,
        headers: {
          cookie: who.cookie,
          'x-csrf-token': who.csrf,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            json: text ? JSON.parse(text) : undefined,
            headers: res.headers,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe.runIf(needs('docker', ready, sandboxesHint))(
  'run limit and fair queue (real server, real Docker)',
  () => {
    let tmp: Awaited<ReturnType<typeof tempDir>>;
    let server: ServerProcess;
    const links: Record<string, string> = {};

    beforeAll(async () => {
      tmp = await tempDir();
      const port = await freePort();
      server = await startServe({
        PORT: String(port),
        DATABASE_URL: `sqlite:${tmp.dir}/ws.db`,
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        SANDBOX_DRIVER: 'docker',
        SANDBOX_MAX_CONCURRENT: '1',
        SANDBOX_RUN_SECONDS: '60',
      });
      for (const m of server.stdout().matchAll(/^\s+([a-z0-9-]+): (http\S+\/i\/\S+)$/gm))
        links[m[1]!] = m[2]!;
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
      await tmp?.remove();
    });

    async function candidate(task: string): Promise<Candidate> {
      const token = links[task]!.split('/i/')[1]!;
      const open = await fetch(`${server.url}/api/invitations/open`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      });
      expect(open.status).toBe(200);
      const cookie = open.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const { csrfToken } = (await open.json()) as { csrfToken: string };
      const who = { cookie, csrf: csrfToken, attemptId: '' };
      const started = await request(`${server.url}/api/candidate/start`, 'POST', who);
      expect(started.status).toBe(200);
      return { ...who, attemptId: started.json.attempt.id };
    }

    const runsUrl = (who: Candidate) => `${server.url}/api/attempts/${who.attemptId}/runs`;

    /** Follows a run's event stream to its end. */
    async function follow(who: Candidate, runId: string, onEvent?: (e: SseEvent) => void) {
      const res = await fetch(`${runsUrl(who)}/${runId}/events`, { headers: { cookie: who.cookie } });
      const events: SseEvent[] = [];
      await readSse(res.body!, (e) => {
        events.push(e);
        onEvent?.(e);
      });
      return events;
    }

    it('50 concurrent starts get exactly one run; another attempt waits first in line and starts next', async () => {
      expect(Object.keys(links)).toEqual(expect.arrayContaining(['hello-llm', 'ticket-triage']));
      const a = await candidate('hello-llm');
      const b = await candidate('ticket-triage');
      // A's program holds the only sandbox slot until the test cancels it (or 45 s pass).
      const hold = `console.log('A holding the slot');\nawait new Promise((r) => setTimeout(r, 45_000));\n`;
      const put = await request(`${server.url}/api/attempts/${a.attemptId}/file`, 'PUT', a, {
        path: 'main.mjs',
        content: hold,
      });
      expect(put.status).toBe(200);

      const burst = await Promise.all(
        Array.from({ length: 50 }, () => request(runsUrl(a), 'POST', a, { kind: 'run' })),
      );
      const accepted = burst.filter((r) => r.status === 202);
      expect(accepted).toHaveLength(1);
      for (const r of burst.filter((x) => x.status !== 202)) {
        expect([409, 429]).toContain(r.status);
        expect(r.json.error.message).toMatch(/already in progress|waiting|busy/);
        if (r.status === 429) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      }
      const aRun = accepted[0]!.json.run.id as string;
      let aStarted!: () => void;
      const aRunning = new Promise<void>((resolve) => (aStarted = resolve));
      const aEvents = follow(
        a,
        aRun,
        (e) => e.event === 'stdout' && e.data.includes('holding') && aStarted(),
      );
      await aRunning;

      // B asks while A holds the slot: accepted, first in line, and says so.
      const bStart = await request(runsUrl(b), 'POST', b, { kind: 'run' });
      expect(bStart.status).toBe(202);
      expect(bStart.json.run).toMatchObject({ status: 'queued', queuePosition: 1 });
      const bRun = bStart.json.run.id as string;
      expect((await request(`${runsUrl(b)}/${bRun}`, 'GET', b)).json.run.queuePosition).toBe(1);
      const bEvents = follow(b, bRun);

      // A floods again while its run holds the slot: nothing more is accepted.
      const again = await Promise.all(
        Array.from({ length: 20 }, () => request(runsUrl(a), 'POST', a, { kind: 'run' })),
      );
      expect(again.filter((r) => r.status === 202)).toHaveLength(0);

      // Free the slot by cancelling A's run: B is next.
      expect((await request(`${runsUrl(a)}/${aRun}/cancel`, 'POST', a)).status).toBe(204);
      expect((await aEvents).at(-1)).toMatchObject({ event: 'exit', data: { verdict: 'cancelled' } });
      const seen = await bEvents;
      const kinds = seen.map((e) => (e.event === 'queued' ? `queued:${e.data.position}` : e.event));
      expect(kinds[0]).toBe('queued:1');
      expect(kinds.indexOf('status')).toBeGreaterThan(0);
      expect(seen.at(-1)).toMatchObject({ event: 'exit' });
      expect(seen.at(-1)!.data.verdict).not.toBe('cancelled');
    }, 180_000);
  },
);
