/**
 * The split of issue 18 with real parts: a `worksample serve` that has no Docker socket
 * (`SANDBOX_DRIVER=workers`, `DOCKER_HOST` pointing nowhere) and two `worksample worker` processes
 * on the real engine, on one Postgres. A candidate on an LLM task runs code that calls the gateway
 * (through the worker's forwarder on the sandbox network, to the server's gateway); the worker
 * holding the attempt's sandbox is killed with SIGKILL; the next Run, with the candidate's newer save,
 * runs on the other worker from the stored files; the submission is graded there, once. The workers'
 * APIs listen on every address of the host, and the candidate's code tries them at the address it can
 * see: the host firewall lets it reach only the gateway port. The Terminal works through a worker too,
 * and a second API replica on the same database follows the Runs the first one runs, live (through the
 * events the first one mirrors in Postgres). Then the second replica is killed with SIGKILL right after
 * acknowledging an edit (the first one serves it), and the deadline passes: the surviving replica
 * submits the attempt and it is graded once.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import {
  openAsCandidate,
  freePort,
  repoRoot,
  runCli,
  startServe,
  startWorkerProcess,
  type ServerProcess,
} from '../helpers/process.ts';
import { needs } from '../helpers/require.ts';
import { docker, sandboxesHint, sandboxesReady } from '../helpers/docker.ts';
import { freshDatabaseUrl } from '../../server/testing/index.ts';

const ready = await sandboxesReady(['node']);
const havePostgres = needs('postgres', Boolean(process.env.TEST_DATABASE_URL), 'set TEST_DATABASE_URL');

/**
 * The candidate's program: one model call through the gateway, then an attack on the worker's own API
 * (listening on every address of the host) at the address the sandbox can see, the gateway's.
 */
const callsGateway = (label: string, workerPorts: number[]) => `
const r = await fetch(process.env.OPENAI_BASE_URL + '/chat/completions', {
  method: 'POST',
  headers: { authorization: 'Bearer ' + process.env.OPENAI_API_KEY, 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'Say hello' }] }),
});
const body = await r.json();
const host = new URL(process.env.OPENAI_BASE_URL).hostname;
const reached = [];
for (const port of ${JSON.stringify(workerPorts)}) {
  try {
    const api = await fetch('http://' + host + ':' + port + '/status', { signal: AbortSignal.timeout(1000) });
    reached.push(port + ':' + api.status);
  } catch {}
}
console.log(['${label}', r.status, typeof body.choices?.[0]?.message?.content, 'worker-api-reached=' + reached.length].join(' '));
process.exit(0); // a dropped connection attempt would keep node alive until its connect timeout
`;

describe.runIf(havePostgres && needs('docker', ready, sandboxesHint))('sandbox workers', () => {
  const procs: ServerProcess[] = [];
  const cleanup: Array<() => Promise<unknown>> = [];
  const suffix = randomBytes(3).toString('hex');
  const ids = [`wa-${suffix}`, `wb-${suffix}`];
  afterEach(async () => {
    for (const p of procs.splice(0)) await p.stop('SIGKILL');
    for (const id of ids)
      for (const c of await docker.listContainers({
        all: true,
        filters: { label: [`org.worksample.managed=w-${id}`] },
      }))
        await docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => {});
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  /** The workers that made a sandbox for the attempt (a killed worker's stays until it starts again). */
  async function holders(attemptId: string): Promise<string[]> {
    const found: string[] = [];
    for (const id of ids) {
      const containers = await docker.listContainers({
        filters: { label: [`org.worksample.managed=w-${id}`, `org.worksample.owner=${attemptId}`] },
      });
      if (containers.length) found.push(id);
    }
    return found;
  }

  it('runs on workers, moves an attempt off a killed worker, and grades once', async () => {
    const fresh = await freshDatabaseUrl('postgres');
    cleanup.push(fresh.drop);
    const token = randomBytes(24).toString('hex');
    const gatewayPort = String(await freePort());
    const common = {
      DATABASE_URL: fresh.url,
      WORKER_TOKEN: token,
      GATEWAY_PORT: gatewayPort,
      DEMO_SEED: 'false',
    };
    const workers = new Map<string, ServerProcess>();
    const workerPorts: number[] = [];
    for (const [i, id] of ids.entries()) {
      const workerPort = await freePort();
      workerPorts.push(workerPort);
      const w = await startWorkerProcess({
        ...common,
        WORKER_ID: id,
        // Every address of the host, bridges included: only the host firewall keeps sandboxes off it.
        WORKER_HOST: '0.0.0.0',
        WORKER_PORT: String(workerPort),
        WORKER_URL: `http://127.0.0.1:${workerPort}`,
        SANDBOX_DRIVER: 'docker',
        SANDBOX_AUTO_BUILD: 'false',
        SANDBOX_SUBNET_POOL: `10.${231 + i}.0.0/20`,
        WORKER_GATEWAY_UPSTREAM: `127.0.0.1:${gatewayPort}`,
      });
      procs.push(w);
      workers.set(id, w);
    }
    const port = await freePort();
    const serveEnv = {
      ...common,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      SANDBOX_DRIVER: 'workers',
      SANDBOX_POOL_SIZE: '0',
      // No engine for this process: everything that runs code goes through the workers.
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
      GRADING_RETRY_BASE_SECONDS: '1',
      DEADLINE_SWEEP_SECONDS: '1',
      SUBMIT_GRACE_SECONDS: '0',
      GRADING_RETRY_MAX_SECONDS: '2',
    };
    expect((await runCli(['tasks', 'import', `${repoRoot}/tasks/hello-llm`], serveEnv)).code).toBe(0);
    const invite = await runCli(
      ['invite', '--task', 'hello-llm', '--email', 'ada@example.com', '--name', 'Ada'],
      serveEnv,
    );
    expect(invite.code, invite.stderr).toBe(0);
    const link = invite.stdout.trim().split('\n').pop()!;
    const server = await startServe(serveEnv);
    procs.push(server);
    const url = server.url;
    // A second API replica on the same database and workers (a load balancer would spread requests).
    const otherPort = await freePort();
    // Its gateway listens on another loopback address (one host here); the workers forward to the first
    // one's, which accepts the calls of Runs the second one runs (the run's row says it is running).
    const replica = await startServe({
      ...serveEnv,
      PORT: String(otherPort),
      PUBLIC_URL: `http://127.0.0.1:${otherPort}`,
      GATEWAY_HOST: '127.0.0.2',
    });
    procs.push(replica);

    const headers = await openAsCandidate(link, url);
    const attemptId = (await (await fetch(`${url}/api/candidate/start`, { method: 'POST', headers })).json())
      .attempt.id as string;
    const save = async (content: string) => {
      const r = await fetch(`${url}/api/attempts/${attemptId}/file`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ path: 'main.mjs', content }),
      });
      expect(r.status, await r.text()).toBe(200);
    };
    /** Clicks Run on one replica and follows its events through the other one. */
    const run = async (on: string, follow: string) => {
      const started = await fetch(`${on}/api/attempts/${attemptId}/runs`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ kind: 'run' }),
      });
      expect(started.status, await started.clone().text()).toBe(202);
      const runId = (await started.json()).run.id as string;
      const events = await fetch(`${follow}/api/attempts/${attemptId}/runs/${runId}/events`, {
        headers,
      });
      const text = await events.text(); // the stream ends after the exit event
      const exit = /event: exit\ndata: (.*)\n/.exec(text);
      expect(exit, text).not.toBeNull();
      expect(JSON.parse(exit![1]!)).toMatchObject({ verdict: 'ok' });
      const printed = [...text.matchAll(/event: stdout\ndata: (.*)\n/g)].map(
        (m) => JSON.parse(m[1]!) as string,
      );
      for (;;) {
        const { run } = await fetch(`${url}/api/attempts/${attemptId}/runs/${runId}`, { headers }).then((r) =>
          r.json(),
        );
        if (run.status === 'done') {
          expect(printed.join('')).toBe(run.stdout); // the follower on the other replica saw the same output
          return run as { verdict: string; stdout: string; stderr: string };
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    await save(callsGateway('first', workerPorts));
    const first = await run(url, replica.url);
    expect(first, first.stderr).toMatchObject({
      verdict: 'ok',
      stdout: 'first 200 string worker-api-reached=0\n',
    });
    const [before, ...more] = await holders(attemptId);
    expect(before).toBeDefined();
    expect(more).toEqual([]);

    // The worker holding the sandbox dies; the candidate saves a change and presses Run again.
    await workers.get(before!)!.stop('SIGKILL');
    await save(callsGateway('second', workerPorts));
    const second = await run(replica.url, url);
    expect(second, second.stderr).toMatchObject({
      verdict: 'ok',
      stdout: 'second 200 string worker-api-reached=0\n',
    });
    // Its sandbox is now on the other worker (the dead worker's container stays until it starts again).
    expect(await holders(attemptId)).toEqual([...ids].sort());

    // Live output across replicas: an interactive Run on the first replica, followed on the second.
    // The program waits for a line on stdin, which the test sends only after the second replica has
    // shown "ready" — so the Run can only finish if its output reached the follower while it ran.
    await save(`console.log('ready');
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => console.log('got ' + input.trim()));
`);
    const interactive = await fetch(`${url}/api/attempts/${attemptId}/runs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ kind: 'run', interactive: true }),
    });
    expect(interactive.status, await interactive.clone().text()).toBe(202);
    const liveId = (await interactive.json()).run.id as string;
    const follower = await fetch(`${replica.url}/api/attempts/${attemptId}/runs/${liveId}/events`, {
      headers,
    });
    const reader = follower.body!.getReader();
    const decoder = new TextDecoder();
    let sse = '';
    let answered = false;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      sse += decoder.decode(value, { stream: true });
      if (!answered && /event: stdout\ndata: "ready\\n"/.test(sse)) {
        answered = true;
        const sent = await fetch(`${url}/api/attempts/${attemptId}/runs/${liveId}/stdin`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ data: 'mirror works\n', close: true }),
        });
        expect(sent.status, await sent.text()).toBeLessThan(300);
      }
    }
    expect(answered, sse).toBe(true);
    expect(/event: exit\ndata: (.*)\n/.exec(sse)?.[1], sse).toContain('"verdict":"ok"');
    expect(sse).toContain('event: stdout\ndata: "got mirror works\\n"');

    // The Terminal, relayed to the worker that holds the sandbox now.
    const ws = new WebSocket(
      `${url.replace(/^http/, 'ws')}/api/attempts/${attemptId}/terminal?cols=80&rows=24`,
      {
        headers: { cookie: headers.cookie!, origin: url },
      },
    );
    cleanup.push(async () => ws.terminate());
    let screen = '';
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { t: string; d?: string };
      if (m.t === 'out') screen += m.d;
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    for (const key of 'echo $((6*7)) in $PWD\r') ws.send(JSON.stringify({ t: 'in', d: key }));
    await expect.poll(() => screen, { timeout: 15_000 }).toMatch(/42 in \/workspace\r?\n/);
    ws.close();

    // The second replica dies with SIGKILL right after acknowledging an edit: the first one has it.
    const lastEdit = `// saved through the replica that dies\n${callsGateway('third', workerPorts)}`;
    const acked = await fetch(`${replica.url}/api/attempts/${attemptId}/file`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ path: 'main.mjs', content: lastEdit }),
    });
    expect(acked.status).toBe(200);
    await replica.stop('SIGKILL');
    const read = await fetch(`${url}/api/attempts/${attemptId}/file?path=main.mjs`, { headers });
    expect((await read.json()).content).toBe(lastEdit);

    // The deadline passes: the surviving replica's sweeper submits the attempt, and it is graded on the
    // remaining worker, exactly once.
    const db = new pg.Client({ connectionString: fresh.url });
    await db.connect();
    cleanup.push(() => db.end());
    await db.query('update attempts set deadline_at = $1 where id = $2', [Date.now() - 60_000, attemptId]);
    await expect
      .poll(
        async () =>
          (await db.query('select status, submit_reason from attempts where id = $1', [attemptId])).rows[0],
        { timeout: 20_000, interval: 250 },
      )
      .toMatchObject({ status: expect.stringMatching(/^(submitted|graded)$/), submit_reason: 'deadline' });
    let grades: Array<{ status: string; tries: number; verdict: string | null; error: string | null }> = [];
    for (let i = 0; i < 240; i++) {
      grades = (
        await db.query('select status, tries, verdict, error from grades where attempt_id = $1', [attemptId])
      ).rows;
      if (grades.length && grades.every((g) => g.status === 'done' || g.status === 'failed')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // One grading, done on the first try, with the hidden tests' verdict (the starter's parser is unchanged).
    expect(grades).toHaveLength(1);
    expect(grades[0]).toMatchObject({ status: 'done', tries: 1, error: null });
    expect(['passed', 'failed']).toContain(grades[0]!.verdict);
    // The worker pool as the server sees it: the dead one has no heartbeat, the live one holds no session.
    const rows = (await db.query('select id, stopped_at from workers order by id')).rows as Array<{
      id: string;
    }>;
    expect(rows.map((r) => r.id)).toEqual([...ids].sort());
  });
});
