/**
 * Sandbox workers on other hosts (issue 18), with real parts on one machine: each worker and its own
 * Docker engine live in a network namespace of their own (tests/helpers/worker-host.ts), reaching
 * Postgres and the API servers' gateway over a veth network; the API servers (`serve`,
 * `SANDBOX_DRIVER=workers`, no Docker socket) run on this machine.
 *
 * First one host and one server: a candidate's Run there calls the model through the worker's
 * forwarder across that network, and cannot reach the worker's own API at the address its sandbox
 * sees; the submission is graded on that host's engine. Then the deployment the issue describes: three
 * `serve` replicas behind a plain TCP load balancer (HTTP and gateway; tests/helpers/balancer.ts) and
 * three worker hosts, six candidates working at once; one replica and one worker are killed with
 * SIGKILL while every candidate has a Run going and saves flowing. No acknowledged save is lost, every
 * cut-off Run ends saying why, the next Runs run on the surviving workers, deadlines are enforced by the
 * surviving replicas, and every submission is graded exactly once. `npm run bench:multihost` runs
 * three such hosts under load.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  openAsCandidate,
  repoRoot,
  runCli,
  startServe,
  type ServerProcess,
} from '../helpers/process.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesHint, sandboxesReady } from '../helpers/docker.ts';
import { canMakeHosts, WorkerHost } from '../helpers/worker-host.ts';
import { startBalancer } from '../helpers/balancer.ts';
import { freshDatabaseUrl, seedInvitations } from '../../server/testing/index.ts';

const ready = (await sandboxesReady()) && (await canMakeHosts());
const havePostgres = needs('postgres', Boolean(process.env.TEST_DATABASE_URL), 'set TEST_DATABASE_URL');

const program = (workerApi: string) => `
const r = await fetch(process.env.OPENAI_BASE_URL + '/chat/completions', {
  method: 'POST',
  headers: { authorization: 'Bearer ' + process.env.OPENAI_API_KEY, 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'Say hello' }] }),
});
let api = 'unreachable';
try {
  const res = await fetch('${workerApi}', { signal: AbortSignal.timeout(1000) });
  api = 'answered ' + res.status;
} catch {}
const host = new URL(process.env.OPENAI_BASE_URL).hostname;
try {
  const res = await fetch('http://' + host + ':8082/status', { signal: AbortSignal.timeout(1000) });
  api += ', at the gateway address answered ' + res.status;
} catch {}
console.log(['model', r.status, 'worker api', api].join(' '));
process.exit(0);
`;

/** One request on a connection of its own: the balancer picks a replica per connection. */
function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; text: string; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * As the editor does: a request that got no answer (its replica died under it) or a 502/503 is sent
 * again after a moment, for up to 30 s.
 */
async function retrying(send: () => Promise<{ status: number; text: string; json: any }>) {
  for (let i = 0; ; i++) {
    const r = await send().catch((err: Error) => err);
    if (!(r instanceof Error) && r.status !== 502 && r.status !== 503) return r;
    if (i >= 150) throw r instanceof Error ? r : new Error(`answered ${r.status}: ${r.text}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** A candidate's program: a model call through the gateway, after `waitMs` (a Run still going). */
const callsModel = (label: string, waitMs = 0) => `
console.log('${label} started');
await new Promise((r) => setTimeout(r, ${waitMs}));
const r = await fetch(process.env.OPENAI_BASE_URL + '/chat/completions', {
  method: 'POST',
  headers: { authorization: 'Bearer ' + process.env.OPENAI_API_KEY, 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'Say hello' }] }),
});
console.log('${label} model ' + r.status);
`;

describe.runIf(
  havePostgres &&
    needs('docker', ready, `${sandboxesHint}; run as root with iproute2 and util-linux (ip netns, nsenter)`),
)('a sandbox worker on its own host', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  it('runs, calls the model across the network, and grades there; the worker API stays out of reach', async () => {
    const fresh = await freshDatabaseUrl('postgres');
    cleanup.push(fresh.drop);
    const token = randomBytes(24).toString('hex');
    const gatewayPort = await freePort();
    const host = await WorkerHost.create(200, { database: fresh.url, gatewayPort });
    cleanup.push(() => host.remove());
    await host.startWorker({ database: fresh.url, token, gatewayPort });

    const port = await freePort();
    const env = {
      DATABASE_URL: fresh.url,
      WORKER_TOKEN: token,
      GATEWAY_PORT: String(gatewayPort),
      DEMO_SEED: 'false',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      SANDBOX_DRIVER: 'workers',
      SANDBOX_POOL_SIZE: '0',
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    };
    expect((await runCli(['tasks', 'import', `${repoRoot}/tasks/hello-llm`], env)).code).toBe(0);
    const invite = await runCli(
      ['invite', '--task', 'hello-llm', '--email', 'ada@example.com', '--name', 'Ada'],
      env,
    );
    expect(invite.code, invite.stderr).toBe(0);
    const server: ServerProcess = await startServe(env);
    cleanup.push(() => server.stop('SIGKILL'));
    const url = server.url;
    const headers = await openAsCandidate(invite.stdout.trim().split('\n').pop()!, url);
    const attemptId = (await (await fetch(`${url}/api/candidate/start`, { method: 'POST', headers })).json())
      .attempt.id as string;
    const saved = await fetch(`${url}/api/attempts/${attemptId}/file`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ path: 'main.mjs', content: program(`http://${host.far}:8082/status`) }),
    });
    expect(saved.status).toBe(200);
    const started = await fetch(`${url}/api/attempts/${attemptId}/runs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ kind: 'run' }),
    });
    expect(started.status, await started.clone().text()).toBe(202);
    const runId = (await started.json()).run.id as string;
    const events = await (
      await fetch(`${url}/api/attempts/${attemptId}/runs/${runId}/events`, { headers })
    ).text();
    expect(events).toContain('event: exit\ndata: {"verdict":"ok"');
    // The model answered through the forwarder on the worker's host; neither the worker's address on its
    // host's network nor its sandbox network's gateway address let the sandbox reach the worker's API.
    expect(events).toContain('model 200 worker api unreachable\\n');
    // The sandbox ran on the worker host's engine, not this machine's.
    expect(
      (await host.docker.listContainers({ filters: { label: [`org.worksample.owner=${attemptId}`] } }))
        .length,
    ).toBe(1);

    const submitted = await fetch(`${url}/api/attempts/${attemptId}/submit`, { method: 'POST', headers });
    expect(submitted.status, await submitted.text()).toBe(200);
    const db = new pg.Client({ connectionString: fresh.url });
    await db.connect();
    cleanup.push(() => db.end());
    let grade: { status: string; tries: number; error: string | null } | undefined;
    for (let i = 0; i < 240; i++) {
      grade = (await db.query('select status, tries, error from grades where attempt_id = $1', [attemptId]))
        .rows[0];
      if (grade && (grade.status === 'done' || grade.status === 'failed')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(grade).toMatchObject({ status: 'done', tries: 1, error: null });
  });

  it('three replicas behind a load balancer, three worker hosts: a replica and a worker killed mid-attempts', async () => {
    const t0 = performance.now();
    const mark = (what: string) => console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s ${what}`);
    const fresh = await freshDatabaseUrl('postgres');
    cleanup.push(fresh.drop);
    const token = randomBytes(24).toString('hex');
    // The gateway: each replica's on a loopback address of its own, one balancer in front (what the
    // worker hosts forward their sandboxes' model calls to).
    const gatewayPort = await freePort();
    const gatewayLb = await startBalancer(
      '127.0.0.1',
      gatewayPort,
      [2, 3, 4].map((i) => ({ host: `127.0.0.${i}`, port: gatewayPort })),
    );
    cleanup.push(() => gatewayLb.close());
    const hosts = await Promise.all(
      [201, 202, 203].map(async (n) => {
        const h = await WorkerHost.create(n, { database: fresh.url, gatewayPort });
        cleanup.push(() => h.remove());
        return h;
      }),
    );
    mark('hosts up');
    await Promise.all(hosts.map((h) => h.startWorker({ database: fresh.url, token, gatewayPort })));

    const ports = [await freePort(), await freePort(), await freePort()];
    const lb = await startBalancer(
      '127.0.0.1',
      0,
      ports.map((port) => ({ host: '127.0.0.1', port })),
    );
    cleanup.push(() => lb.close());
    const base = `http://127.0.0.1:${lb.port}`;
    const envOf = (i: number) => ({
      DATABASE_URL: fresh.url,
      WORKER_TOKEN: token,
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_HOST: `127.0.0.${i + 2}`,
      DEMO_SEED: 'false',
      PORT: String(ports[i]),
      PUBLIC_URL: base,
      SANDBOX_DRIVER: 'workers',
      SANDBOX_POOL_SIZE: '0',
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
      DEADLINE_SWEEP_SECONDS: '1',
      SUBMIT_GRACE_SECONDS: '0',
      GRADING_RETRY_BASE_SECONDS: '1',
      GRADING_RETRY_MAX_SECONDS: '2',
    });
    const links = await seedInvitations(fresh.url, base, 6);
    const replicas: ServerProcess[] = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const r = await startServe(envOf(i));
        cleanup.push(() => r.stop('SIGKILL'));
        return r;
      }),
    );
    const direct = ports.map((p) => `http://127.0.0.1:${p}`);
    const db = new pg.Pool({ connectionString: fresh.url, max: 4 });
    cleanup.push(() => db.end());

    // Six candidates; until the kill, candidate i's browser is kept on replica i % 3 (sticky sessions),
    // so each attempt has one sandbox session, held by that replica.
    const candidates = await Promise.all(
      links.map(async (link, i) => {
        const home = direct[i % 3]!;
        const headers = await openAsCandidate(link.replace(base, home), home);
        const started = await call(home, 'POST', '/api/candidate/start', headers);
        expect(started.status, started.text).toBe(200);
        return { i, home, headers, attemptId: started.json.attempt.id as string, acked: '' };
      }),
    );
    type Candidate = (typeof candidates)[number];
    const save = (c: Candidate, on: string, content: string) =>
      retrying(() =>
        call(on, 'PUT', `/api/attempts/${c.attemptId}/file`, c.headers, { path: 'main.mjs', content }),
      );
    const startRun = async (c: Candidate, on: string) => {
      const r = await retrying(() =>
        call(on, 'POST', `/api/attempts/${c.attemptId}/runs`, c.headers, { kind: 'run' }),
      );
      expect(r.status, r.text).toBe(202);
      return r.json.run.id as string;
    };
    const runRow = async (runId: string) =>
      (await db.query('select status, verdict, stdout, stderr from runs where id = $1', [runId])).rows[0] as {
        status: string;
        verdict: string | null;
        stdout: string;
        stderr: string;
      };
    const finished = async (runId: string, timeout: number) => {
      await expect.poll(async () => (await runRow(runId)).status, { timeout, interval: 250 }).toBe('done');
      return runRow(runId);
    };
    /** Which worker host's engine has the attempt's sandbox. */
    const holder = async (attemptId: string) => {
      const found: number[] = [];
      for (const [k, h] of hosts.entries())
        if (
          (await h.docker.listContainers({ filters: { label: [`org.worksample.owner=${attemptId}`] } }))
            .length
        )
          found.push(k);
      return found;
    };

    mark('candidates started');
    // Every candidate runs code that calls the model, on the worker hosts.
    await Promise.all(
      candidates.map(async (c) => {
        expect((await save(c, c.home, callsModel('first'))).status).toBe(200);
        const run = await finished(await startRun(c, c.home), 120_000);
        expect(run, run.stderr).toMatchObject({ verdict: 'ok', stdout: 'first started\nfirst model 200\n' });
      }),
    );
    mark('first runs done');
    const placed = await Promise.all(candidates.map((c) => holder(c.attemptId)));
    for (const p of placed) expect(p).toHaveLength(1);
    expect(new Set(placed.flat()).size, 'the sessions spread over the hosts').toBeGreaterThan(1);
    // The worker to kill: the host with the most sessions of candidates on replicas that stay up.
    const load = [0, 0, 0];
    for (const c of candidates) if (c.i % 3 !== 1) load[placed[c.i]![0]!]!++;
    const victim = load.indexOf(Math.max(...load));

    // Every candidate starts a Run that is still going when the kills land, and keeps saving through
    // the load balancer (a save that gets no answer is sent again, like the editor's).
    const slow = await Promise.all(
      candidates.map(async (c) => {
        expect((await save(c, c.home, callsModel('slow', 4000))).status).toBe(200);
        return startRun(c, c.home);
      }),
    );
    for (const runId of slow)
      await expect.poll(async () => (await runRow(runId)).status, { timeout: 60_000 }).toBe('running');
    mark('slow runs running');
    let saving = true;
    const savers = candidates.map(async (c) => {
      for (let k = 0; saving; k++) {
        const content = `// edit ${k} of candidate ${c.i}\n${callsModel('third')}`;
        const r = await save(c, base, content);
        expect(r.status, r.text).toBe(200);
        c.acked = content;
      }
    });
    await new Promise((r) => setTimeout(r, 500));
    await replicas[1]!.stop('SIGKILL');
    hosts[victim]!.worker!.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 2000));
    saving = false;
    await Promise.all(savers);

    mark('killed');
    // Every Run that was going ends, saying why when it was cut off: those of the dead replica once
    // their lease lapses (another replica cuts them off), those on the dead worker when its stream
    // broke; the others finish.
    for (const c of candidates) {
      const run = await finished(slow[c.i]!, 90_000);
      if (c.i % 3 === 1)
        expect(run, JSON.stringify(run)).toMatchObject({
          verdict: 'error',
          stderr: expect.stringMatching(/the server running this run stopped during it/),
        });
      else if (placed[c.i]![0] === victim)
        expect(run, JSON.stringify(run)).toMatchObject({
          verdict: 'error',
          stderr: expect.stringMatching(/stopped answering/),
        });
      else expect(run, run.stderr).toMatchObject({ verdict: 'ok', stdout: 'slow started\nslow model 200\n' });
    }

    mark('slow runs ended');
    // No acknowledged save is lost, and every candidate runs again through the load balancer: on the
    // surviving workers.
    await Promise.all(
      candidates.map(async (c) => {
        const read = await retrying(() =>
          call(base, 'GET', `/api/attempts/${c.attemptId}/file?path=main.mjs`, c.headers),
        );
        expect(read.json.content).toBe(c.acked);
        const run = await finished(await startRun(c, base), 120_000);
        expect(run, run.stderr).toMatchObject({ verdict: 'ok', stdout: 'third started\nthird model 200\n' });
      }),
    );
    mark('third runs done');
    for (const c of candidates)
      expect(
        (await holder(c.attemptId)).filter((k) => k !== victim),
        `candidate ${c.i} has a sandbox on a surviving host`,
      ).not.toEqual([]);

    // Half the deadlines pass: the surviving replicas submit those attempts and refuse later writes;
    // the other half submit. Every submission is graded exactly once.
    const late = candidates.filter((c) => c.i < 3);
    await db.query('update attempts set deadline_at = $1 where id = any($2)', [
      Date.now() - 60_000,
      late.map((c) => c.attemptId),
    ]);
    for (const c of late) {
      await expect
        .poll(
          async () =>
            (await db.query('select status, submit_reason from attempts where id = $1', [c.attemptId]))
              .rows[0],
          {
            timeout: 20_000,
            interval: 250,
          },
        )
        .toMatchObject({ status: expect.stringMatching(/^(submitted|graded)$/), submit_reason: 'deadline' });
      expect((await save(c, base, '// too late')).status).toBe(409);
    }
    for (const c of candidates.filter((c) => c.i >= 3)) {
      const r = await retrying(() => call(base, 'POST', `/api/attempts/${c.attemptId}/submit`, c.headers));
      expect(r.status, r.text).toBe(200);
    }
    mark('submitted');
    const ids = candidates.map((c) => c.attemptId);
    await expect
      .poll(
        async () =>
          (
            await db.query(
              "select count(*)::int as n from grades where attempt_id = any($1) and status in ('done', 'failed')",
              [ids],
            )
          ).rows[0].n,
        { timeout: 180_000, interval: 500 },
      )
      .toBe(6);
    mark('graded');
    const grades = (
      await db.query('select attempt_id, status, error from grades where attempt_id = any($1)', [ids])
    ).rows;
    expect(grades).toHaveLength(6);
    for (const g of grades) expect(g).toMatchObject({ status: 'done', error: null });
    const graded = (
      await db.query(
        "select attempt_id, count(*)::int as n from attempt_events where type = 'attempt.graded' and attempt_id = any($1) group by attempt_id",
        [ids],
      )
    ).rows;
    expect(graded).toHaveLength(6);
    for (const g of graded) expect(g.n).toBe(1);
  }, 420_000);
});
